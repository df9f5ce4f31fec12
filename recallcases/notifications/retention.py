"""The retention schedule of the outbox: recipients' addresses removed a while after sending.

An outbox row holds no body (it is rendered when sent), but it may hold an address: `recipient`
(a purchaser's, the safety contact's) and the mail server's error text, which often quotes it.
`Recall.email_retention_months` after an email was sent (or, for one that failed for good, was
written) both are blanked. The row stays, as the record that the email was sent and when: the
regulators' reports count purchasers notified from these rows. Pending rows are left alone.

The recall of a row is its claim's; for rows about no claim (a recall notice, an incident alert)
it is found by the `RECALL_SOURCES` that the apps writing such rows register when they load (this
app imports none of them): notices through its purchaser's row, incidents through the context.
"""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Expression,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from recallcases.core.retention import RetentionCounts, months_before
from recallcases.notifications.models import EmailState, OutboundEmail
from recallcases.recalls.models import Recall

# The kind of what is removed, as `retention_apply` reports it.
EMAIL_RECIPIENTS = "emails' recipients"

# Each takes the emails and returns them (annotated as it needs) with an expression for the recall
# of a row that is not about a claim, or NULL. Apps add theirs when they load.
RecallSource = Callable[[QuerySet], tuple[QuerySet, Expression]]
RECALL_SOURCES: list[RecallSource] = []


def recall_from_context(*, key: str, model: type[Model]) -> RecallSource:
    """A recall source for rows whose context names an id of `model` (which has a `recall`)."""

    def source(emails: QuerySet) -> tuple[QuerySet, Expression]:
        emails = emails.annotate(
            **{f"context_{key}": Cast(KeyTextTransform(key, "context"), BigIntegerField())}
        )
        recall = model.objects.filter(pk=OuterRef(f"context_{key}")).values("recall_id")[:1]
        return emails, Subquery(recall)

    return source


def emails_with_recall(emails: QuerySet[OutboundEmail]) -> QuerySet[OutboundEmail]:
    """`emails`, each with `retention_recall_id`: its claim's recall, or its registered source's."""
    candidates: list[Expression] = [F("claim__recall_id")]
    for source in RECALL_SOURCES:
        emails, expression = source(emails)
        candidates.append(expression)
    return emails.annotate(
        retention_recall_id=Coalesce(*candidates, output_field=IntegerField())
        if len(candidates) > 1
        else candidates[0]
    )


def emails_due_for_anonymising(*, recall: Recall | None, now: datetime) -> QuerySet[OutboundEmail]:
    """Emails of `recall` (None: of no recall) whose recipient and error are due for removal."""
    months = (
        recall.email_retention_months
        if recall is not None
        else Recall._meta.get_field("email_retention_months").default
    )
    cutoff = months_before(now, months)
    done = Q(state=EmailState.SENT, sent_at__lt=cutoff) | Q(
        state=EmailState.FAILED, created_at__lt=cutoff
    )
    return (
        emails_with_recall(OutboundEmail.objects.filter(done))
        .exclude(recipient="", last_error="")
        .filter(retention_recall_id=recall.pk if recall is not None else None)
    )


def outbox_retention_apply(*, now: datetime, dry_run: bool = False) -> RetentionCounts:
    """Blank the recipient and error of the emails whose time is up; how many, per recall.

    With `dry_run`, how many would be, and nothing changes. Running it again changes nothing.
    """
    counts = RetentionCounts()
    for recall in [*Recall.objects.order_by("pk"), None]:
        due = emails_due_for_anonymising(recall=recall, now=now)
        key = (EMAIL_RECIPIENTS, recall.pk if recall is not None else None)
        if dry_run:
            counts[key] += due.count()
            continue
        with transaction.atomic():
            counts[key] += OutboundEmail.objects.filter(
                pk__in=list(due.values_list("pk", flat=True))
            ).update(recipient="", last_error="")
    return counts
