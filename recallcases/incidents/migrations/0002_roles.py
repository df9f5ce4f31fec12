"""Give the staff roles their rights over incidents (see workspace/migrations/0001_roles.py).

Recall managers (compliance) see incidents, who reported them, and record what was done;
reviewers see what happened but not who reported it (ADR 0004). Fulfilment and administrators
get nothing here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The grants as they were when this migration was written: later changes get migrations of their own.
ROLES = {
    "Recall manager": [
        "incidents.view_incident",
        "incidents.view_incident_contact",
        "incidents.acknowledge_incident",
    ],
    "Reviewer": ["incidents.view_incident"],
}


def grant(Group, Permission) -> None:
    """Add the incident rights to the roles that exist."""
    for name, permissions in ROLES.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for permission in permissions:
            app_label, codename = permission.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def create_grants(apps, schema_editor):
    # Permissions are normally created after all migrations; the roles need them now.
    app_config = apps.get_app_config("incidents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    grant(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in ROLES.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        codenames = [permission.split(".")[1] for permission in permissions]
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="incidents", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("workspace", "0001_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_grants, revoke)]
