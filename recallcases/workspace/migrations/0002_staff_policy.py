"""The staff sign-in policy (one row)."""

from django.db import migrations, models


def create_policy(apps, schema_editor):
    apps.get_model("workspace", "StaffPolicy").objects.get_or_create(pk=1)
    # Grants now come from roles.ROLES via migration 0004_roles_sync.


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
        migrations.RunPython(create_policy, migrations.RunPython.noop),
    ]
