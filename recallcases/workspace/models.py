"""The staff sign-in policy an administrator sets in the Django admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffPolicy(models.Model):
    """How staff sign in: one row (pk=1) for the whole site."""

    SINGLETON_PK = 1

    # On unless an administrator relaxes it (the workspace then warns every staff member).
    require_two_factor = models.BooleanField(
        _("require two-factor sign-in"),
        default=True,
        help_text=_(
            "Every staff member must confirm each sign-in with a code from an authenticator app; "
            "those without one are asked to set it up. Staff who set one up always use it."
        ),
    )

    class Meta:
        verbose_name = _("staff sign-in policy")
        verbose_name_plural = _("staff sign-in policy")
        constraints = [
            # The database keeps it a singleton, whatever writes the table.
            models.CheckConstraint(condition=models.Q(pk=1), name="staff_policy_single_row"),
        ]

    def __str__(self):
        return str(_("Staff sign-in policy"))

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "StaffPolicy":
        """The policy in force (created with its defaults the first time it is asked for)."""
        policy, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return policy
