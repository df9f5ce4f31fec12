"""Direct notice's services: the purchaser list (`purchasers`) and sending notices (`sending`)."""
