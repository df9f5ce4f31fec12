"""Recall managers load their recall's serial registry from the workspace (issue: the manager
"loads the registry and the purchaser list"), besides administrators."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("workspace", "0002_staff_policy")]

    # Grants now come from roles.ROLES via migration workspace 0004_roles_sync.
    operations = []
