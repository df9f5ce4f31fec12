"""Give the Recall manager role the right to see the dashboard and the regulator reports."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECALL_MANAGER_PERMISSIONS = ["reports.view_reports"]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    for permission in RECALL_MANAGER_PERMISSIONS:
        app_label, codename = permission.split(".")
        yield Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the role needs them now.
    app_config = apps.get_app_config("reports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="Recall manager").first()
    if group is not None:
        group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Recall manager").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("workspace", "0001_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
