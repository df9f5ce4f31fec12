"""Apply roles.ROLES again: recall managers change a claim's remedy and import gift card codes."""

from django.db import migrations

from recallcases.workspace.roles import roles_sync


def sync(apps, schema_editor):
    roles_sync(apps=apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0009_remedies_claim_remedy_codes"),
        ("workspace", "0006_two_factor_required_by_default"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
