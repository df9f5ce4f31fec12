"""The dates the reports count by, kept on each claim by the database (migration 0009's triggers):
recomputed from the claims' events and shipments, after a restore or to check them."""

from django.db import connection, transaction

# Each claim's dates as its rows say, written only where they differ; the row count is how many
# claims were corrected. [PostgreSQL, one grouped pass] and [SQLite, one look-up per claim].
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


@transaction.atomic
def claim_milestones_rebuild() -> int:
    """Recompute every claim's report dates from its events and shipments; return how many
    claims had a date that differed (0 when the triggers kept them true)."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # The one writer the guard trigger lets through (migration 0009).
            cursor.execute("SET LOCAL recallcases.milestones_rebuild = 'on'")
        cursor.execute(MILESTONES_REBUILD_SQL[postgresql])
        return cursor.rowcount
