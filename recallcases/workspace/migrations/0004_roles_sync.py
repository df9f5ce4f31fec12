"""Give the staff roles exactly the permissions of recallcases/workspace/roles.py (ROLES).

The grants used to be spread over six migrations (now empty); this one applies the whole table. It
depends on the latest migration of every app ROLES names, so their permissions can exist.
"""

from django.db import migrations

from recallcases.workspace.roles import roles_sync


def sync(apps, schema_editor):
    # ROLES is today's table and these models are as they were: a permission a later migration
    # creates is granted by the roles_sync migration that follows it.
    roles_sync(apps=apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
        ("claims", "0006_claim_event_reached"),
        ("incidents", "0002_roles"),
        ("notices", "0002_recall_manager_grants"),
        ("recalls", "0003_recall_safety_contact_email"),
        ("reports", "0002_recall_manager_grants"),
        ("workspace", "0003_manager_loads_registry"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
