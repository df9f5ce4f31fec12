"""Recall managers and administrators read the audit trail (the workspace's audit page).

The roles themselves are created by the workspace's migrations; this grants the permission to
those that exist, and the role map (recallcases/workspace/roles.py) should name it too.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("Recall manager", "Administrator")
PERMISSION = ("audit", "view_auditentry")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the grant needs this one now.
    app_config = apps.get_app_config("audit")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    app_label, codename = PERMISSION
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    app_label, codename = PERMISSION
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label=app_label, codename=codename
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_audit_entries_append_only"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The roles exist from here on; the grant only touches groups that exist.
        ("workspace", "0001_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
