"""Staff roles: Django groups. Migrations create them and give them their permissions
(0001_roles holds the table of which role holds which permission).

A staff member's role decides which buttons they see and which posts the server accepts; the same
permission names ("claims.verify_claim", ...) guard both.
"""

REVIEWER = "Reviewer"
FULFILMENT = "Fulfilment"
RECALL_MANAGER = "Recall manager"
ADMINISTRATOR = "Administrator"

ROLES = (REVIEWER, FULFILMENT, RECALL_MANAGER, ADMINISTRATOR)
