"""Gave the staff roles their rights over incidents (see recallcases/workspace/roles.py).

Recall managers (compliance) see incidents, who reported them, and record what was done;
reviewers see what happened but not who reported it (ADR 0004).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("workspace", "0001_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Grants now come from roles.ROLES via migration workspace 0004_roles_sync.
    operations = []
