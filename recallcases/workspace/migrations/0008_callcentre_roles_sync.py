"""Apply roles.ROLES again: the call-centre agents' role and its permission (claims.take_calls)."""

from django.db import migrations

from recallcases.workspace.roles import roles_sync


def sync(apps, schema_editor):
    roles_sync(apps=apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0010_callcentre_calls_texts"),
        ("workspace", "0007_proof_roles_sync"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
