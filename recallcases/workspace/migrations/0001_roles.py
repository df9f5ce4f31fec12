"""Create the staff roles (groups) with their permissions; see recallcases/workspace/roles.py."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The roles as they were when this migration was written: later changes get migrations of their own.
ROLES = {
    "Reviewer": [
        "claims.view_claim",
        "claims.view_claim_photos",
        "claims.verify_claim",
        "claims.review_disposal",
        "claims.close_claim",
    ],
    "Fulfilment": [
        "claims.view_claim",
        "claims.view_shipping_details",
        "claims.record_shipment",
    ],
    "Recall manager": [
        "claims.approve_replacement",
        "claims.close_claim",
        "claims.record_shipment",
        "claims.reopen_claim",
        "claims.review_disposal",
        "claims.verify_claim",
        "claims.view_claim",
        "claims.view_claim_photos",
        "claims.view_shipping_details",
    ],
    "Administrator": [
        f"{app}.{action}_{model}"
        for app, model in [
            ("recalls", "recall"),
            ("recalls", "product"),
            ("recalls", "registryentry"),
            ("auth", "user"),
            ("auth", "group"),
        ]
        for action in ("add", "change", "delete", "view")
    ]
    + ["claims.view_claim"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for permission in permissions:
            app_label, codename = permission.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0002_claim_events_append_only"),
        ("recalls", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
