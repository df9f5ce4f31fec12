"""Created the staff roles (groups) with their permissions; see recallcases/workspace/roles.py."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0002_claim_events_append_only"),
        ("recalls", "0001_initial"),
    ]

    # Grants now come from roles.ROLES via migration 0004_roles_sync.
    operations = []
