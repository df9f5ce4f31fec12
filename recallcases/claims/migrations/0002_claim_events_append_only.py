"""On PostgreSQL, the database itself refuses to change or delete a claim event.

The model refuses too, but a regulator's record should not depend on every code path going
through the model: this trigger also stops raw SQL, bulk updates and the admin.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION claims_claimevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'claim events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER claims_claimevent_append_only
    BEFORE UPDATE OR DELETE ON claims_claimevent
    FOR EACH ROW EXECUTE FUNCTION claims_claimevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS claims_claimevent_append_only ON claims_claimevent;
DROP FUNCTION IF EXISTS claims_claimevent_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
