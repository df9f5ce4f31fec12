"""Writing the audit trail."""

from django.db import models

from recallcases.audit.models import ActorKind, AuditAction, AuditEntry


def _jsonable(values: dict | None) -> dict | None:
    # Dates, lazy translations and the like, as text: the row must read the same in ten years.
    if values is None:
        return None
    return {
        key: value if isinstance(value, (str, int, float, bool, list, type(None))) else str(value)
        for key, value in values.items()
    }


def audit_record(
    *,
    actor,
    action: str,
    subject: models.Model | None,
    before: dict | None = None,
    after: dict | None = None,
    actor_kind: str | None = None,
    recall_id: int | None = None,
    claim_id: int | None = None,
    subject_label: str | None = None,
    note: str = "",
) -> AuditEntry:
    """Write one audit row, in the caller's transaction: it stands or falls with the action.

    `actor` is the staff user who acted, or None for the consumer or the system (say which in
    `actor_kind`). `subject` is the one thing acted on, or None for an action on many (a file
    of tracking numbers). `before` and `after` hold only the values the action changed or
    counted, never a secret (a status link's token) nor personal data the action is not about.
    """
    if action not in AuditAction.values:
        # A programming error, refused at once rather than a row no page can name.
        raise ValueError(f"{action!r} is not an AuditAction")
    if actor_kind is None:
        actor_kind = ActorKind.STAFF if actor is not None else ActorKind.SYSTEM
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk is not None else None,
        actor_kind=actor_kind,
        action=action,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        subject_label=(str(subject or "") if subject_label is None else subject_label)[:200],
        recall_id=recall_id,
        claim_id=claim_id,
        before=_jsonable(before),
        after=_jsonable(after),
        note=note,
    )


def audit_change_record(
    *, actor, action: str, subject: models.Model, before: dict | None, after: dict, **scope
) -> AuditEntry | None:
    """Record the values that differ between `before` and `after` (None: subject created).

    Writes nothing when nothing changed, so a form saved as it was leaves no row.
    """
    if before is None:
        return audit_record(actor=actor, action=action, subject=subject, after=after, **scope)
    changed = [key for key in after if before.get(key) != after[key]]
    if not changed:
        return None
    return audit_record(
        actor=actor,
        action=action,
        subject=subject,
        before={key: before.get(key) for key in changed},
        after={key: after[key] for key in changed},
        **scope,
    )
