"""The promised dates' figures kept by the database, as the other report figures are (ADR 0011):
each claim's statuses reached (`Claim.reached`, from its events) and the tally of claims by day
filed, status, statuses reached and day remedied (ClaimPromiseTally), so the dashboard's "past a
promised date" and "shipped on time by week" read a few hundred rows, not every claim (55 ms and
32 ms at 69,000 claims, one pass over the claims each). And whether a purchaser of the recall
has the claim's serial or email (`Claim.on_list`, counted in ClaimTally), kept as claims and
purchasers are written, for the count of claims not on the purchaser list (52 ms: an anti-join of
every claim against the list). PostgreSQL only, as the tallies.
"""

from importlib import import_module

from django.db import migrations, models

from recallcases.claims.services.milestones import MILESTONES_REBUILD_SQL, TALLIES_REBUILD_SQL

POSTGRESQL = """
-- One UPDATE of the claim per event: its report dates and the statuses it reached (sorted, so
-- byte by byte, so the same statuses are the same text, as claim_milestones_rebuild writes them).
CREATE OR REPLACE FUNCTION claims_claimevent_milestones() RETURNS trigger AS $$
BEGIN
    UPDATE claims_claim SET
        first_shipped_at = CASE WHEN NEW.to_status = 'replacement_shipped'
            THEN LEAST(first_shipped_at, NEW.created_at) ELSE first_shipped_at END,
        disposal_confirmed_at = CASE WHEN NEW.to_status = 'disposal_confirmed'
            THEN LEAST(disposal_confirmed_at, NEW.created_at) ELSE disposal_confirmed_at END,
        reached = array_to_string(ARRAY(
            SELECT DISTINCT s COLLATE "C"
            FROM unnest(string_to_array(reached, ' ') || NEW.to_status::text) s
            WHERE s <> '' ORDER BY 1
        ), ' ')
    WHERE id = NEW.claim_id
      AND (NEW.to_status IN ('replacement_shipped', 'disposal_confirmed')
           OR NOT NEW.to_status::text = ANY (string_to_array(reached, ' ')));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER claims_claimevent_milestones ON claims_claimevent;
CREATE TRIGGER claims_claimevent_milestones
    AFTER INSERT ON claims_claimevent FOR EACH ROW
    EXECUTE FUNCTION claims_claimevent_milestones();

-- Only the triggers (nested) and claim_milestones_rebuild write them: a stale claim saved whole
-- keeps what the database wrote.
CREATE OR REPLACE FUNCTION claims_claim_milestones_kept() RETURNS trigger AS $$
BEGIN
    IF pg_trigger_depth() = 1
       AND current_setting('recallcases.milestones_rebuild', true) IS DISTINCT FROM 'on' THEN
        NEW.first_shipped_at := OLD.first_shipped_at;
        NEW.first_shipment_at := OLD.first_shipment_at;
        NEW.disposal_confirmed_at := OLD.disposal_confirmed_at;
        NEW.reached := OLD.reached;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER claims_claim_milestones_kept ON claims_claim;
CREATE TRIGGER claims_claim_milestones_kept
    BEFORE UPDATE OF first_shipped_at, first_shipment_at, disposal_confirmed_at, reached
    ON claims_claim FOR EACH ROW EXECUTE FUNCTION claims_claim_milestones_kept();
"""

# A claim is on the list when a purchaser of its recall has its serial or its email (blank matches
# nobody): notices.selectors.claims_not_on_list. Claim and purchaser writers of the same recall
# take an advisory lock (shared for claims, exclusive for purchasers) held to the end of their
# transaction, so a claim filed while a list is imported is seen by one or the other: the last to
# take the lock reads what the first committed.
ON_LIST = """
-- "p.serial <> ''" again inside: the function's plan is made for any serial, and a list without
-- serials (all blank) would otherwise be read whole for each claim (21 ms a claim at 69,000).
CREATE OR REPLACE FUNCTION claims_listed(recall bigint, serial text, email text)
RETURNS boolean AS $$
    SELECT ($2 <> '' AND EXISTS (
               SELECT 1 FROM notices_purchaser p
               WHERE p.recall_id = $1 AND p.serial = $2 AND p.serial <> ''))
        OR ($3 <> '' AND EXISTS (
               SELECT 1 FROM notices_purchaser p
               WHERE p.recall_id = $1 AND p.email = $3 AND p.email <> ''));
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION claims_claim_on_list() RETURNS trigger AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN NEW;  -- the purchasers' trigger below, which worked it out
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtext('claims_on_list'), NEW.recall_id::integer);
    NEW.on_list := claims_listed(NEW.recall_id, NEW.serial, NEW.email);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER claims_claim_on_list
    BEFORE INSERT OR UPDATE OF recall_id, serial, email, on_list ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_on_list();

-- The purchasers one statement wrote (their recall, serial and email, before and after): the
-- claims with one of those serials or emails are looked at again.
CREATE OR REPLACE FUNCTION notices_purchaser_claims_on_list() RETURNS trigger AS $$
DECLARE
    recalls bigint[];
    serials text[];
    emails text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(recall_id), array_agg(serial), array_agg(email)
        INTO recalls, serials, emails FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(recall_id), array_agg(serial), array_agg(email)
        INTO recalls, serials, emails FROM old_rows;
    ELSE
        SELECT array_agg(x.recall_id), array_agg(x.serial), array_agg(x.email)
        INTO recalls, serials, emails
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.recall_id, o.serial, o.email),
                                   (n.recall_id, n.serial, n.email)) x (recall_id, serial, email)
        WHERE (o.recall_id, o.serial, o.email) IS DISTINCT FROM (n.recall_id, n.serial, n.email);
    END IF;
    IF recalls IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('claims_on_list'), r.recall_id::integer)
    FROM (SELECT DISTINCT unnest(recalls) AS recall_id ORDER BY 1) r;
    -- Purchasers added: their claims are on the list, nothing to look up (a list imported into an
    -- empty table has no statistics yet: a look-up per claim could read the whole list).
    IF TG_OP = 'INSERT' THEN
        WITH written AS (
            SELECT * FROM unnest(recalls, serials, emails) AS w (recall_id, serial, email)
        )
        UPDATE claims_claim c SET on_list = true
        WHERE c.id IN (
            SELECT c2.id FROM claims_claim c2 JOIN written w
                ON c2.recall_id = w.recall_id AND c2.serial = w.serial WHERE w.serial <> ''
            UNION
            SELECT c2.id FROM claims_claim c2 JOIN written w
                ON c2.recall_id = w.recall_id AND c2.email = w.email WHERE w.email <> ''
        ) AND NOT c.on_list;
        RETURN NULL;
    END IF;
    WITH written AS (
        SELECT * FROM unnest(recalls, serials, emails) AS w (recall_id, serial, email)
    )
    UPDATE claims_claim c SET on_list = claims_listed(c.recall_id, c.serial, c.email)
    WHERE c.id IN (
        SELECT c2.id FROM claims_claim c2 JOIN written w
            ON c2.recall_id = w.recall_id AND c2.serial = w.serial WHERE w.serial <> ''
        UNION
        SELECT c2.id FROM claims_claim c2 JOIN written w
            ON c2.recall_id = w.recall_id AND c2.email = w.email WHERE w.email <> ''
    ) AND c.on_list IS DISTINCT FROM claims_listed(c.recall_id, c.serial, c.email);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notices_purchaser_inserted_on_list
    AFTER INSERT ON notices_purchaser REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notices_purchaser_claims_on_list();
CREATE TRIGGER notices_purchaser_updated_on_list
    AFTER UPDATE ON notices_purchaser REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notices_purchaser_claims_on_list();
CREATE TRIGGER notices_purchaser_deleted_on_list
    AFTER DELETE ON notices_purchaser REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notices_purchaser_claims_on_list();
"""

# Migration 0013's tally function, with the promise tally: a row out of the claim's old group and
# one into its new group when its recall, day filed, status, statuses reached or day remedied
# change.
TALLIES = """
CREATE OR REPLACE FUNCTION claims_claim_tally() RETURNS trigger AS $$
DECLARE
    o claims_claim;
    n claims_claim;
BEGIN
    IF TG_OP <> 'INSERT' THEN o := OLD; END IF;
    IF TG_OP <> 'DELETE' THEN n := NEW; END IF;
    IF (o.recall_id, o.product_id, o.country, o.status, o.remedy,
        o.first_shipped_at IS NOT NULL OR o.first_shipment_at IS NOT NULL,
        o.disposal_confirmed_at IS NOT NULL, o.on_list)
       IS DISTINCT FROM
       (n.recall_id, n.product_id, n.country, n.status, n.remedy,
        n.first_shipped_at IS NOT NULL OR n.first_shipment_at IS NOT NULL,
        n.disposal_confirmed_at IS NOT NULL, n.on_list) THEN
        IF o.id IS NOT NULL THEN
            INSERT INTO claims_claimtally
                (recall_id, product_id, country, status, remedy, remedied, disposal_confirmed,
                 on_list, claims)
            VALUES (o.recall_id, o.product_id, o.country, o.status, o.remedy,
                    o.first_shipped_at IS NOT NULL OR o.first_shipment_at IS NOT NULL,
                    o.disposal_confirmed_at IS NOT NULL, o.on_list, -1);
        END IF;
        IF n.id IS NOT NULL THEN
            INSERT INTO claims_claimtally
                (recall_id, product_id, country, status, remedy, remedied, disposal_confirmed,
                 on_list, claims)
            VALUES (n.recall_id, n.product_id, n.country, n.status, n.remedy,
                    n.first_shipped_at IS NOT NULL OR n.first_shipment_at IS NOT NULL,
                    n.disposal_confirmed_at IS NOT NULL, n.on_list, 1);
        END IF;
    END IF;
    IF (o.recall_id, (o.created_at AT TIME ZONE 'UTC')::date, o.status, o.reached,
        (coalesce(o.first_shipped_at, o.first_shipment_at) AT TIME ZONE 'UTC')::date)
       IS DISTINCT FROM
       (n.recall_id, (n.created_at AT TIME ZONE 'UTC')::date, n.status, n.reached,
        (coalesce(n.first_shipped_at, n.first_shipment_at) AT TIME ZONE 'UTC')::date) THEN
        IF o.id IS NOT NULL THEN
            INSERT INTO claims_claimpromisetally
                (recall_id, filed_on, status, reached, remedied_on, claims)
            VALUES (o.recall_id, (o.created_at AT TIME ZONE 'UTC')::date, o.status, o.reached,
                    (coalesce(o.first_shipped_at, o.first_shipment_at) AT TIME ZONE 'UTC')::date,
                    -1);
        END IF;
        IF n.id IS NOT NULL THEN
            INSERT INTO claims_claimpromisetally
                (recall_id, filed_on, status, reached, remedied_on, claims)
            VALUES (n.recall_id, (n.created_at AT TIME ZONE 'UTC')::date, n.status, n.reached,
                    (coalesce(n.first_shipped_at, n.first_shipment_at) AT TIME ZONE 'UTC')::date,
                    1);
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
-- serial and email: an UPDATE of them changes on_list in claims_claim_on_list (BEFORE); an AFTER
-- trigger "UPDATE OF" fires on the columns the UPDATE names, not on those a BEFORE trigger changed.
DROP TRIGGER claims_claim_tally ON claims_claim;
CREATE TRIGGER claims_claim_tally
    AFTER INSERT OR DELETE OR UPDATE OF recall_id, product_id, country, channel, status, remedy,
        created_at, first_shipped_at, first_shipment_at, disposal_confirmed_at, reached, on_list,
        serial, email
    ON claims_claim FOR EACH ROW EXECUTE FUNCTION claims_claim_tally();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(POSTGRESQL, params=None)
    schema_editor.execute(ON_LIST, params=None)
    schema_editor.execute(TALLIES, params=None)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET LOCAL recallcases.milestones_rebuild = 'on'")
        cursor.execute(MILESTONES_REBUILD_SQL[True])
        for statement in TALLIES_REBUILD_SQL:
            cursor.execute(statement)


def _migration_0013():
    return import_module("recallcases.claims.migrations.0013_scale_claim_milestones")


def sqlite_triggers_drop(apps, schema_editor):
    """SQLite rebuilds claims_claim to add its columns: migration 0013's triggers that write it
    would refer to a table being renamed. Dropped around the change, created again after."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in _migration_0013().SQLITE_DROP:
            schema_editor.execute(statement, params=None)


def sqlite_triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _migration_0013().SQLITE:
            schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    """Back to migration 0013's triggers."""
    if schema_editor.connection.vendor != "postgresql":
        return
    before = _migration_0013()
    schema_editor.execute(
        """
        DROP TRIGGER IF EXISTS notices_purchaser_inserted_on_list ON notices_purchaser;
        DROP TRIGGER IF EXISTS notices_purchaser_updated_on_list ON notices_purchaser;
        DROP TRIGGER IF EXISTS notices_purchaser_deleted_on_list ON notices_purchaser;
        DROP FUNCTION IF EXISTS notices_purchaser_claims_on_list();
        DROP TRIGGER IF EXISTS claims_claim_on_list ON claims_claim;
        DROP FUNCTION IF EXISTS claims_claim_on_list();
        DROP FUNCTION IF EXISTS claims_listed(bigint, text, text);
        DROP TRIGGER IF EXISTS claims_claim_tally ON claims_claim;
        DROP TRIGGER IF EXISTS claims_claimevent_milestones ON claims_claimevent;
        DROP TRIGGER IF EXISTS claims_shipment_milestones ON claims_shipment;
        DROP TRIGGER IF EXISTS claims_claim_milestones_kept ON claims_claim;
        """,
        params=None,
    )
    schema_editor.execute(before.POSTGRESQL, params=None)
    schema_editor.execute(before.TALLIES, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0014_dash_event_by_status"),
        ("notices", "0005_spanish_language"),
    ]

    operations = [
        migrations.RunPython(sqlite_triggers_drop, sqlite_triggers_create),
        migrations.AddField(
            model_name="claim",
            name="reached",
            field=models.CharField(blank=True, db_default="", editable=False, max_length=500),
        ),
        migrations.AddField(
            model_name="claim",
            name="on_list",
            field=models.BooleanField(db_default=False, editable=False),
        ),
        migrations.AddField(
            model_name="claimtally",
            name="on_list",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="ClaimPromiseTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("recall_id", models.BigIntegerField()),
                ("filed_on", models.DateField()),
                ("status", models.CharField(max_length=32)),
                ("reached", models.CharField(max_length=500)),
                ("remedied_on", models.DateField(null=True)),
                ("claims", models.IntegerField()),
            ],
            options={
                "indexes": [models.Index(fields=["recall_id"], name="claim_promise_tally_recall")],
            },
        ),
        migrations.RunPython(create, drop),
        migrations.RunPython(sqlite_triggers_create, sqlite_triggers_drop),
    ]
