"""The dates the reports count by, kept on the claim by the database: the first "replacement
shipped" event, the first shipment and the first "disposal confirmed" event.

Reading them from every claim's events made the dashboard and the CPSC report cost one look-up per
claim (148x and 183x the one-query yardstick at 69,000 claims); a single pass joining the events
grouped by claim was measured at 155 ms at 69,000 claims, about 2.5 s at 1.1 million. Triggers keep
them, so every writer (the services, the admin, a bulk import, raw SQL) keeps them true; on
PostgreSQL a direct UPDATE of them is undone unless `claim_milestones_rebuild` asks for it.

On PostgreSQL, a trigger on the claims also keeps the claim tallies (ClaimTally, ClaimDayTally) as
rows of +1 and -1, so the dashboard, the regulators' reports and the queue's counts read a few rows
at any number of claims (ADR 0011). Also: indexes for the queue's search by serial and by name.
"""

from django.db import migrations, models

# The rebuilds as they were then (claims.services.milestones has moved on since: migration 0015).
_POSTGRESQL = """
WITH events AS (
    SELECT claim_id,
           min(created_at) FILTER (WHERE to_status = 'replacement_shipped') AS shipped,
           min(created_at) FILTER (WHERE to_status = 'disposal_confirmed') AS disposal
    FROM claims_claimevent
    WHERE to_status IN ('replacement_shipped', 'disposal_confirmed')
    GROUP BY claim_id
), shipments AS (
    SELECT claim_id, min(created_at) AS shipment FROM claims_shipment GROUP BY claim_id
), wanted AS (
    SELECT c.id, e.shipped, s.shipment, e.disposal
    FROM claims_claim c
    LEFT JOIN events e ON e.claim_id = c.id
    LEFT JOIN shipments s ON s.claim_id = c.id
)
UPDATE claims_claim c
SET first_shipped_at = w.shipped, first_shipment_at = w.shipment,
    disposal_confirmed_at = w.disposal
FROM wanted w
WHERE w.id = c.id AND (
    c.first_shipped_at IS DISTINCT FROM w.shipped
    OR c.first_shipment_at IS DISTINCT FROM w.shipment
    OR c.disposal_confirmed_at IS DISTINCT FROM w.disposal
)
"""
_OTHER = """
UPDATE claims_claim SET
    first_shipped_at = (SELECT min(e.created_at) FROM claims_claimevent e
                        WHERE e.claim_id = claims_claim.id AND e.to_status = 'replacement_shipped'),
    first_shipment_at = (SELECT min(s.created_at) FROM claims_shipment s
                         WHERE s.claim_id = claims_claim.id),
    disposal_confirmed_at = (SELECT min(e.created_at) FROM claims_claimevent e
                             WHERE e.claim_id = claims_claim.id
                             AND e.to_status = 'disposal_confirmed')
WHERE first_shipped_at IS NOT (SELECT min(e.created_at) FROM claims_claimevent e
                               WHERE e.claim_id = claims_claim.id
                               AND e.to_status = 'replacement_shipped')
   OR first_shipment_at IS NOT (SELECT min(s.created_at) FROM claims_shipment s
                                WHERE s.claim_id = claims_claim.id)
   OR disposal_confirmed_at IS NOT (SELECT min(e.created_at) FROM claims_claimevent e
                                    WHERE e.claim_id = claims_claim.id
                                    AND e.to_status = 'disposal_confirmed')
"""
# Indexed by "is PostgreSQL".
MILESTONES_REBUILD_SQL = (_OTHER, _POSTGRESQL)

TALLIES_REBUILD_SQL = (
    """
    WITH emptied AS (DELETE FROM claims_claimtally)
    INSERT INTO claims_claimtally
        (recall_id, product_id, country, status, remedy, remedied, disposal_confirmed, claims)
    SELECT recall_id, product_id, country, status, remedy,
           first_shipped_at IS NOT NULL OR first_shipment_at IS NOT NULL,
           disposal_confirmed_at IS NOT NULL, count(*)
    FROM claims_claim GROUP BY 1, 2, 3, 4, 5, 6, 7
    """,
    """
    WITH emptied AS (DELETE FROM claims_claimdaytally),
    dated AS (
        SELECT recall_id, country, channel, remedy, created_at AS at, 'filed' AS metric
        FROM claims_claim
        UNION ALL
        SELECT recall_id, country, channel, remedy,
               coalesce(first_shipped_at, first_shipment_at), 'remedied'
        FROM claims_claim WHERE coalesce(first_shipped_at, first_shipment_at) IS NOT NULL
        UNION ALL
        SELECT recall_id, country, channel, remedy, disposal_confirmed_at, 'disposal'
        FROM claims_claim WHERE disposal_confirmed_at IS NOT NULL
    )
    INSERT INTO claims_claimdaytally (recall_id, country, channel, remedy, day, metric, claims)
    SELECT recall_id, country, channel, remedy, (at AT TIME ZONE 'UTC')::date, metric, count(*)
    FROM dated GROUP BY 1, 2, 3, 4, 5, 6
    """,
)

POSTGRESQL = """
CREATE OR REPLACE FUNCTION claims_claimevent_milestones() RETURNS trigger AS $$
BEGIN
    IF NEW.to_status = 'replacement_shipped' THEN
        UPDATE claims_claim SET first_shipped_at = LEAST(first_shipped_at, NEW.created_at)
        WHERE id = NEW.claim_id;
    ELSIF NEW.to_status = 'disposal_confirmed' THEN
        UPDATE claims_claim SET disposal_confirmed_at = LEAST(disposal_confirmed_at, NEW.created_at)
        WHERE id = NEW.claim_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER claims_claimevent_milestones
    AFTER INSERT ON claims_claimevent FOR EACH ROW
    WHEN (NEW.to_status IN ('replacement_shipped', 'disposal_confirmed'))
    EXECUTE FUNCTION claims_claimevent_milestones();

CREATE OR REPLACE FUNCTION claims_shipment_milestones() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE claims_claim SET first_shipment_at = LEAST(first_shipment_at, NEW.created_at)
        WHERE id = NEW.claim_id;
        RETURN NULL;
    END IF;
    -- A shipment changed or removed (not done by the application): count again.
    UPDATE claims_claim c SET first_shipment_at = (
        SELECT min(s.created_at) FROM claims_shipment s WHERE s.claim_id = c.id
    ) WHERE c.id = OLD.claim_id OR (TG_OP = 'UPDATE' AND c.id = NEW.claim_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER claims_shipment_milestones
    AFTER INSERT OR UPDATE OR DELETE ON claims_shipment FOR EACH ROW
    EXECUTE FUNCTION claims_shipment_milestones();

-- Only the triggers above (nested) and claim_milestones_rebuild write the dates.
CREATE OR REPLACE FUNCTION claims_claim_milestones_kept() RETURNS trigger AS $$
BEGIN
    IF pg_trigger_depth() = 1
       AND current_setting('recallcases.milestones_rebuild', true) IS DISTINCT FROM 'on' THEN
        NEW.first_shipped_at := OLD.first_shipped_at;
        NEW.first_shipment_at := OLD.first_shipment_at;
        NEW.disposal_confirmed_at := OLD.disposal_confirmed_at;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER claims_claim_milestones_kept
    BEFORE UPDATE OF first_shipped_at, first_shipment_at, disposal_confirmed_at ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_milestones_kept();

-- The queue's search by name (icontains: UPPER(name) LIKE '%...%') without reading every claim.
-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS claim_name_trigram ON claims_claim
    USING gin (UPPER(name::text) gin_trgm_ops);
"""

# The tallies: a claim's change is a row out of its old group and a row into its new one.
TALLIES = """
CREATE OR REPLACE FUNCTION claims_day_move(
    old_recall bigint, old_country varchar, old_channel varchar, old_remedy varchar,
    old_at timestamptz,
    new_recall bigint, new_country varchar, new_channel varchar, new_remedy varchar,
    new_at timestamptz, which varchar
) RETURNS void AS $$
BEGIN
    -- Days in UTC: the site's time zone (settings.TIME_ZONE), where reports' months begin.
    IF (old_recall, old_country, old_channel, old_remedy, (old_at AT TIME ZONE 'UTC')::date)
       IS NOT DISTINCT FROM
       (new_recall, new_country, new_channel, new_remedy, (new_at AT TIME ZONE 'UTC')::date) THEN
        RETURN;
    END IF;
    IF old_at IS NOT NULL THEN
        INSERT INTO claims_claimdaytally (recall_id, country, channel, remedy, day, metric, claims)
        VALUES (old_recall, old_country, old_channel, old_remedy,
                (old_at AT TIME ZONE 'UTC')::date, which, -1);
    END IF;
    IF new_at IS NOT NULL THEN
        INSERT INTO claims_claimdaytally (recall_id, country, channel, remedy, day, metric, claims)
        VALUES (new_recall, new_country, new_channel, new_remedy,
                (new_at AT TIME ZONE 'UTC')::date, which, 1);
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION claims_claim_tally() RETURNS trigger AS $$
DECLARE
    o claims_claim;
    n claims_claim;
BEGIN
    IF TG_OP <> 'INSERT' THEN o := OLD; END IF;
    IF TG_OP <> 'DELETE' THEN n := NEW; END IF;
    IF (o.recall_id, o.product_id, o.country, o.status, o.remedy,
        o.first_shipped_at IS NOT NULL OR o.first_shipment_at IS NOT NULL,
        o.disposal_confirmed_at IS NOT NULL)
       IS DISTINCT FROM
       (n.recall_id, n.product_id, n.country, n.status, n.remedy,
        n.first_shipped_at IS NOT NULL OR n.first_shipment_at IS NOT NULL,
        n.disposal_confirmed_at IS NOT NULL) THEN
        IF o.id IS NOT NULL THEN
            INSERT INTO claims_claimtally
                (recall_id, product_id, country, status, remedy, remedied, disposal_confirmed,
                 claims)
            VALUES (o.recall_id, o.product_id, o.country, o.status, o.remedy,
                    o.first_shipped_at IS NOT NULL OR o.first_shipment_at IS NOT NULL,
                    o.disposal_confirmed_at IS NOT NULL, -1);
        END IF;
        IF n.id IS NOT NULL THEN
            INSERT INTO claims_claimtally
                (recall_id, product_id, country, status, remedy, remedied, disposal_confirmed,
                 claims)
            VALUES (n.recall_id, n.product_id, n.country, n.status, n.remedy,
                    n.first_shipped_at IS NOT NULL OR n.first_shipment_at IS NOT NULL,
                    n.disposal_confirmed_at IS NOT NULL, 1);
        END IF;
    END IF;
    PERFORM claims_day_move(o.recall_id, o.country, o.channel, o.remedy, o.created_at,
                            n.recall_id, n.country, n.channel, n.remedy, n.created_at, 'filed');
    PERFORM claims_day_move(o.recall_id, o.country, o.channel, o.remedy,
                            coalesce(o.first_shipped_at, o.first_shipment_at),
                            n.recall_id, n.country, n.channel, n.remedy,
                            coalesce(n.first_shipped_at, n.first_shipment_at), 'remedied');
    PERFORM claims_day_move(o.recall_id, o.country, o.channel, o.remedy, o.disposal_confirmed_at,
                            n.recall_id, n.country, n.channel, n.remedy, n.disposal_confirmed_at,
                            'disposal');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER claims_claim_tally
    AFTER INSERT OR DELETE OR UPDATE OF recall_id, product_id, country, channel, status, remedy,
        created_at, first_shipped_at, first_shipment_at, disposal_confirmed_at
    ON claims_claim FOR EACH ROW EXECUTE FUNCTION claims_claim_tally();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS claims_claim_tally ON claims_claim;
DROP FUNCTION IF EXISTS claims_claim_tally();
DROP FUNCTION IF EXISTS claims_day_move(
    bigint, varchar, varchar, varchar, timestamptz, bigint, varchar, varchar, varchar, timestamptz,
    varchar
);
DROP INDEX IF EXISTS claim_name_trigram;
DROP TRIGGER IF EXISTS claims_claimevent_milestones ON claims_claimevent;
DROP TRIGGER IF EXISTS claims_shipment_milestones ON claims_shipment;
DROP TRIGGER IF EXISTS claims_claim_milestones_kept ON claims_claim;
DROP FUNCTION IF EXISTS claims_claimevent_milestones();
DROP FUNCTION IF EXISTS claims_shipment_milestones();
DROP FUNCTION IF EXISTS claims_claim_milestones_kept();
"""

# SQLite (`make run` without DATABASE_URL): the same, one statement per trigger. Django writes
# dates there as ISO text in UTC, so comparing text compares times.
SQLITE = [
    """CREATE TRIGGER claims_claimevent_shipped AFTER INSERT ON claims_claimevent
    WHEN NEW.to_status = 'replacement_shipped' BEGIN
        UPDATE claims_claim SET first_shipped_at = NEW.created_at WHERE id = NEW.claim_id
        AND (first_shipped_at IS NULL OR first_shipped_at > NEW.created_at);
    END""",
    """CREATE TRIGGER claims_claimevent_disposal AFTER INSERT ON claims_claimevent
    WHEN NEW.to_status = 'disposal_confirmed' BEGIN
        UPDATE claims_claim SET disposal_confirmed_at = NEW.created_at WHERE id = NEW.claim_id
        AND (disposal_confirmed_at IS NULL OR disposal_confirmed_at > NEW.created_at);
    END""",
    """CREATE TRIGGER claims_shipment_inserted AFTER INSERT ON claims_shipment BEGIN
        UPDATE claims_claim SET first_shipment_at = NEW.created_at WHERE id = NEW.claim_id
        AND (first_shipment_at IS NULL OR first_shipment_at > NEW.created_at);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS claims_claimevent_shipped",
    "DROP TRIGGER IF EXISTS claims_claimevent_disposal",
    "DROP TRIGGER IF EXISTS claims_shipment_inserted",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SET LOCAL recallcases.milestones_rebuild = 'on'")
        cursor.execute(MILESTONES_REBUILD_SQL[vendor == "postgresql"])
        if vendor == "postgresql":
            cursor.execute(TALLIES)
            for statement in TALLIES_REBUILD_SQL:
                cursor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_remedies_claim_remedy_codes"),
        ("recalls", "0006_speaker_recall_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="disposal_confirmed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="claim",
            name="first_shipment_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="claim",
            name="first_shipped_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["serial"], name="claim_serial_any_recall"),
        ),
        migrations.CreateModel(
            name="ClaimDayTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("recall_id", models.BigIntegerField()),
                ("country", models.CharField(max_length=2)),
                ("channel", models.CharField(max_length=5)),
                ("remedy", models.CharField(max_length=20)),
                ("day", models.DateField()),
                (
                    "metric",
                    models.CharField(
                        choices=[
                            ("filed", "Filed"),
                            ("remedied", "Remedied"),
                            ("disposal", "Disposal"),
                        ],
                        max_length=10,
                    ),
                ),
                ("claims", models.IntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["recall_id", "metric", "day"], name="claim_day_tally")
                ],
            },
        ),
        migrations.CreateModel(
            name="ClaimTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("recall_id", models.BigIntegerField()),
                ("product_id", models.BigIntegerField()),
                ("country", models.CharField(max_length=2)),
                ("status", models.CharField(max_length=32)),
                ("remedy", models.CharField(max_length=20)),
                ("remedied", models.BooleanField()),
                ("disposal_confirmed", models.BooleanField()),
                ("claims", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["recall_id"], name="claim_tally_recall")],
            },
        ),
        migrations.RunPython(create, drop),
    ]
