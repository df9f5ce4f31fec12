from django.db import migrations, models

import recallcases.notifications.tokens


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_callcentre_calls_texts"),
    ]

    # In two steps: a column added with the callable default would give every existing row the
    # one same code. Rows written before codes existed keep an empty one (the page finds nothing).
    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="verification_code",
            field=models.CharField(
                blank=True, db_index=True, default="", editable=False, max_length=8
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="verification_code",
            field=models.CharField(
                blank=True,
                db_index=True,
                default=recallcases.notifications.tokens.new_verification_code,
                editable=False,
                max_length=8,
            ),
        ),
    ]
