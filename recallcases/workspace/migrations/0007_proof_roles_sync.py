"""Apply roles.ROLES again: Administrators edit a recall's proof items (recalls.*_proofitem)."""

from django.db import migrations

from recallcases.workspace.roles import roles_sync


def sync(apps, schema_editor):
    roles_sync(apps=apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("recalls", "0007_proof_items_and_pictures"),
        ("workspace", "0006_two_factor_required_by_default"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
