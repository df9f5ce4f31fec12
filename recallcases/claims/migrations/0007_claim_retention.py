"""The retention schedule on claims: when personal details and photos were removed.

The append-only trigger on claim events (0002) learns one exception: an UPDATE that only blanks
the note, nothing else changed. Notes are free text that may name the consumer (theirs, or staff
answering them); the retention schedule blanks them with the rest of the personal details, and
the trail of who moved the claim from which status to which, and when, stays untouched.
"""

from django.db import migrations, models

ALLOW_NOTE_REMOVAL = """
CREATE OR REPLACE FUNCTION claims_claimevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.note = ''
       AND to_jsonb(NEW) - 'note' = to_jsonb(OLD) - 'note' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'claim events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION claims_claimevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'claim events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def allow_note_removal(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW_NOTE_REMOVAL, params=None)


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    dependencies = [("claims", "0006_claim_event_reached")]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="anonymised_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="claim",
            name="photos_removed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(allow_note_removal, append_only),
    ]
