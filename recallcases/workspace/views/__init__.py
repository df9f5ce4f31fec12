"""Staff pages, one module per area of the workspace."""
