"""Apply roles.ROLES again now that the audit trail's permission exists (audit.view_auditentry)."""

from django.db import migrations

from recallcases.workspace.roles import roles_sync


def sync(apps, schema_editor):
    roles_sync(apps=apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_entries_append_only"),
        ("workspace", "0004_roles_sync"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
