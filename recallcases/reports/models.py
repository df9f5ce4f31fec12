"""The right to see reports. Reports own no data: every figure is read from the other apps."""

from django.db import models


class ReportAccess(models.Model):
    """No table: only the holder of the `reports.view_reports` permission.

    Django creates the permissions of unmanaged models like any other's, under this model's
    content type, so the right has a name of its own without a table that would stay empty.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_reports", "Can see the recall dashboard and the regulator reports"),
        ]

    def __str__(self):
        return "reports"
