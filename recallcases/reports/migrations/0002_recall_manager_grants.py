"""Gave the Recall manager role the right to see the dashboard and the regulator reports."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("workspace", "0001_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Grants now come from roles.ROLES (recallcases/workspace/roles.py) via migration workspace
    # 0004_roles_sync.
    operations = []
