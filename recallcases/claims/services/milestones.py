"""The dates the reports count by and the statuses reached, kept on each claim by the database
(migrations 0013 and 0015's triggers): recomputed from the claims' events and shipments, after a
restore or to check them."""

from django.db import connection, transaction

# Each claim's dates as its rows say, written only where they differ; the row count is how many
# claims were corrected. [PostgreSQL, one grouped pass] and [SQLite, one look-up per claim].
_POSTGRESQL = """
WITH events AS (
    SELECT claim_id,
           min(created_at) FILTER (WHERE to_status = 'replacement_shipped') AS shipped,
           min(created_at) FILTER (WHERE to_status = 'disposal_confirmed') AS disposal,
           string_agg(DISTINCT to_status::text COLLATE "C", ' '
                      ORDER BY to_status::text COLLATE "C") AS reached
    FROM claims_claimevent
    GROUP BY claim_id
), shipments AS (
    SELECT claim_id, min(created_at) AS shipment FROM claims_shipment GROUP BY claim_id
), wanted AS (
    SELECT c.id, e.shipped, s.shipment, e.disposal, coalesce(e.reached, '') AS reached
    FROM claims_claim c
    LEFT JOIN events e ON e.claim_id = c.id
    LEFT JOIN shipments s ON s.claim_id = c.id
)
UPDATE claims_claim c
SET first_shipped_at = w.shipped, first_shipment_at = w.shipment,
    disposal_confirmed_at = w.disposal, reached = w.reached
FROM wanted w
WHERE w.id = c.id AND (
    c.first_shipped_at IS DISTINCT FROM w.shipped
    OR c.first_shipment_at IS DISTINCT FROM w.shipment
    OR c.disposal_confirmed_at IS DISTINCT FROM w.disposal
    OR c.reached IS DISTINCT FROM w.reached
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
# Whether a purchaser has each claim's serial or email (migration 0015's claims_listed), where it
# differs. PostgreSQL only.
ON_LIST_REBUILD_SQL = """
UPDATE claims_claim SET on_list = claims_listed(recall_id, serial, email)
WHERE on_list IS DISTINCT FROM claims_listed(recall_id, serial, email)
"""
# Indexed by "is PostgreSQL". The statuses reached (`Claim.reached`) are kept on PostgreSQL only.
MILESTONES_REBUILD_SQL = (_OTHER, _POSTGRESQL)


@transaction.atomic
def claim_milestones_rebuild() -> int:
    """Recompute every claim's report dates from its events and shipments (and on PostgreSQL its
    statuses reached and whether it is on the purchaser list); return how many claims had one that
    differed (0 when the triggers kept them true)."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # The one writer the guard trigger lets through (migration 0013).
            cursor.execute("SET LOCAL recallcases.milestones_rebuild = 'on'")
        cursor.execute(MILESTONES_REBUILD_SQL[postgresql])
        corrected = cursor.rowcount
        if postgresql:
            cursor.execute(ON_LIST_REBUILD_SQL)
            corrected += cursor.rowcount
        return corrected


# --- The tallies (PostgreSQL): ClaimTally, ClaimDayTally and ClaimPromiseTally -------------------

# Each tally from the claims as they are, in one statement (one snapshot): a claim changed by a
# transaction that commits meanwhile adds its own rows on top, as it would have anyway.
TALLIES_REBUILD_SQL = (
    """
    WITH emptied AS (DELETE FROM claims_claimtally)
    INSERT INTO claims_claimtally
        (recall_id, product_id, country, status, remedy, remedied, disposal_confirmed, on_list,
         claims)
    SELECT recall_id, product_id, country, status, remedy,
           first_shipped_at IS NOT NULL OR first_shipment_at IS NOT NULL,
           disposal_confirmed_at IS NOT NULL, on_list, count(*)
    FROM claims_claim GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
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
    """
    WITH emptied AS (DELETE FROM claims_claimpromisetally)
    INSERT INTO claims_claimpromisetally (recall_id, filed_on, status, reached, remedied_on, claims)
    SELECT recall_id, (created_at AT TIME ZONE 'UTC')::date, status, reached,
           (coalesce(first_shipped_at, first_shipment_at) AT TIME ZONE 'UTC')::date, count(*)
    FROM claims_claim GROUP BY 1, 2, 3, 4, 5
    """,
)
# Each tally's rows merged into one per group; rows written meanwhile are left for next time.
TALLIES_COMPACT_SQL = (
    """
    WITH moved AS (
        DELETE FROM claims_claimtally
        RETURNING recall_id, product_id, country, status, remedy, remedied, disposal_confirmed,
                  on_list, claims
    )
    INSERT INTO claims_claimtally
        (recall_id, product_id, country, status, remedy, remedied, disposal_confirmed, on_list,
         claims)
    SELECT recall_id, product_id, country, status, remedy, remedied, disposal_confirmed, on_list,
           sum(claims)
    FROM moved
    GROUP BY recall_id, product_id, country, status, remedy, remedied, disposal_confirmed, on_list
    HAVING sum(claims) <> 0
    """,
    """
    WITH moved AS (
        DELETE FROM claims_claimdaytally
        RETURNING recall_id, country, channel, remedy, day, metric, claims
    )
    INSERT INTO claims_claimdaytally (recall_id, country, channel, remedy, day, metric, claims)
    SELECT recall_id, country, channel, remedy, day, metric, sum(claims) FROM moved
    GROUP BY recall_id, country, channel, remedy, day, metric HAVING sum(claims) <> 0
    """,
    """
    WITH moved AS (
        DELETE FROM claims_claimpromisetally
        RETURNING recall_id, filed_on, status, reached, remedied_on, claims
    )
    INSERT INTO claims_claimpromisetally (recall_id, filed_on, status, reached, remedied_on, claims)
    SELECT recall_id, filed_on, status, reached, remedied_on, sum(claims) FROM moved
    GROUP BY recall_id, filed_on, status, reached, remedied_on HAVING sum(claims) <> 0
    """,
)
_TALLIES_NOW = (
    """
    SELECT recall_id, product_id, country, status, remedy, remedied, disposal_confirmed, on_list,
           sum(claims)
    FROM claims_claimtally
    GROUP BY recall_id, product_id, country, status, remedy, remedied, disposal_confirmed, on_list
    HAVING sum(claims) <> 0
    """,
    """
    SELECT recall_id, country, channel, remedy, day, metric, sum(claims)
    FROM claims_claimdaytally
    GROUP BY recall_id, country, channel, remedy, day, metric HAVING sum(claims) <> 0
    """,
    """
    SELECT recall_id, filed_on, status, reached, remedied_on, sum(claims)
    FROM claims_claimpromisetally
    GROUP BY recall_id, filed_on, status, reached, remedied_on HAVING sum(claims) <> 0
    """,
)


def _tallies_now(cursor) -> set[tuple]:
    groups = set()
    for statement in _TALLIES_NOW:
        cursor.execute(statement)
        groups |= {(statement[:20], *row) for row in cursor.fetchall()}
    return groups


@transaction.atomic
def claim_tallies_rebuild() -> int:
    """Count the tallies again from the claims; return how many groups differed (0 when the
    triggers kept them true). PostgreSQL only."""
    with connection.cursor() as cursor:
        before = _tallies_now(cursor)
        for statement in TALLIES_REBUILD_SQL:
            cursor.execute(statement)
        after = _tallies_now(cursor)
    return len(before ^ after)


def claim_tallies_compact() -> None:
    """Merge each tally's rows into one per group (Celery beat, every few minutes)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in TALLIES_COMPACT_SQL:
            cursor.execute(statement)
