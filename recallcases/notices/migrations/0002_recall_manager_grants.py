"""Gave the Recall manager role the rights of direct notice: see and import purchasers, send."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_initial"),
        ("workspace", "0001_roles"),
    ]

    # Grants now come from roles.ROLES (recallcases/workspace/roles.py) via migration workspace
    # 0004_roles_sync.
    operations = []
