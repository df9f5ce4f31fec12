# The claims that reached a status, read from an index alone: the dashboard's count of claims past a
# promised date (claims_overdue) at 69,000 claims.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0013_scale_claim_milestones"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claimevent",
            index=models.Index(fields=["to_status", "claim"], name="claim_event_by_status"),
        ),
    ]
