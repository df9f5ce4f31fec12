"""Recall managers load their recall's serial registry from the workspace (issue: the manager
"loads the registry and the purchaser list"), besides administrators."""

from django.db import migrations

RECALL_MANAGER_PERMISSIONS = ["recalls.add_registryentry"]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Recall manager").first()
    if group is not None:
        for permission in RECALL_MANAGER_PERMISSIONS:
            app_label, codename = permission.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="Recall manager").first()
    if group is not None:
        group.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="recalls", codename="add_registryentry"
            )
        )


class Migration(migrations.Migration):
    dependencies = [("workspace", "0002_staff_policy")]

    operations = [migrations.RunPython(grant, revoke)]
