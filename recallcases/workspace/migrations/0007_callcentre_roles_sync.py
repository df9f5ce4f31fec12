"""Apply roles.ROLES again: the call-centre agents' role and its permission (claims.take_calls)."""

from django.db import migrations

from recallcases.workspace.roles import roles_sync


def sync(apps, schema_editor):
    roles_sync(apps=apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0009_callcentre_calls_texts"),
        ("workspace", "0006_two_factor_required_by_default"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
