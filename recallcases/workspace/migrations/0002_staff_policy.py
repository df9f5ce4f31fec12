"""The staff sign-in policy (one row), and the Administrator role's rights over sign-in security."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# What an Administrator needs to run staff sign-in: turn the second factor on, lift a lockout,
# remove the authenticator of someone who lost their phone. (Secrets stay hidden in the admin:
# OTP_ADMIN_HIDE_SENSITIVE_DATA.)
ADMINISTRATOR_PERMISSIONS = [
    "workspace.view_staffpolicy",
    "workspace.change_staffpolicy",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "otp_totp.view_totpdevice",
    "otp_totp.delete_totpdevice",
]


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    for permission in ADMINISTRATOR_PERMISSIONS:
        app_label, codename = permission.split(".")
        yield Permission.objects.get(content_type__app_label=app_label, codename=codename)


def create_policy_and_grant(apps, schema_editor):
    apps.get_model("workspace", "StaffPolicy").objects.get_or_create(pk=1)
    # Permissions are normally created after all migrations; the role needs them now.
    for label in ("workspace", "axes", "otp_totp"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.filter(name="Administrator").first()
    if group is not None:
        group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name="Administrator").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0001_roles"),
        ("axes", "0010_accessattemptexpiration"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "require_two_factor",
                    models.BooleanField(
                        default=False,
                        help_text="Every staff member must confirm each sign-in with a code from an authenticator app; those without one are asked to set it up. Staff who set one up always use it.",
                        verbose_name="require two-factor sign-in",
                    ),
                ),
            ],
            options={
                "verbose_name": "staff sign-in policy",
                "verbose_name_plural": "staff sign-in policy",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("pk", 1)), name="staff_policy_single_row"
                    )
                ],
            },
        ),
        migrations.RunPython(create_policy_and_grant, revoke),
    ]
