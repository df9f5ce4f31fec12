"""The second factor is required by default, and turned on where the old default left it off.

The old default (off) was never a choice an administrator made: nothing tells an untouched row
from one turned off on purpose, and the audit found the second factor off. So the policy is
turned on everywhere; an administrator who wants it off turns it off again in the admin, and the
workspace then warns staff. Staff without an authenticator are asked to set one up at their next
page, which locks no one out.
"""

from django.db import migrations, models


def require_two_factor(apps, schema_editor):
    StaffPolicy = apps.get_model("workspace", "StaffPolicy")
    StaffPolicy.objects.update_or_create(pk=1, defaults={"require_two_factor": True})


class Migration(migrations.Migration):
    dependencies = [("workspace", "0005_roles_sync_audit")]

    operations = [
        migrations.AlterField(
            model_name="staffpolicy",
            name="require_two_factor",
            field=models.BooleanField(
                default=True,
                help_text="Every staff member must confirm each sign-in with a code from an authenticator app; those without one are asked to set it up. Staff who set one up always use it.",
                verbose_name="require two-factor sign-in",
            ),
        ),
        # Going back leaves the row as it is: turning the second factor off is an admin's choice.
        migrations.RunPython(require_two_factor, migrations.RunPython.noop),
    ]
