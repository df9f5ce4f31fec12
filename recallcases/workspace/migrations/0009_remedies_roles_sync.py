"""Apply roles.ROLES again: recall managers change a claim's remedy and import gift card codes."""

from django.db import migrations

from recallcases.workspace.roles import roles_sync


def sync(apps, schema_editor):
    roles_sync(apps=apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_remedies_claim_remedy_codes"),
        ("workspace", "0008_callcentre_roles_sync"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
