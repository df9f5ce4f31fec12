"""Filing a claim and the consumer's own steps on it."""

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recallcases.audit.models import ActorKind, AuditAction
from recallcases.audit.services import audit_record
from recallcases.claims.lifecycle import ENDED_STATUSES, STATUSES
from recallcases.claims.models import (
    RELEASED_STATUSES,
    Channel,
    Claim,
    ClaimLink,
    ClaimPhoto,
    ClaimPhotoView,
    ClaimStatus,
    PhotoKind,
    RemedyCode,
    Shipment,
    _photo_name,
)
from recallcases.claims.selectors import is_disposable_email
from recallcases.claims.tokens import (
    derived_access_token,
    hash_access_token,
    new_access_token,
    new_reference,
)
from recallcases.claims.transitions import (
    BY_CONSUMER,
    CONSUMER,
    Actor,
    TransitionRefused,
    claim_transition,
    record_event,
    transitions_for,
)
from recallcases.core.addresses import address_key
from recallcases.core.phones import phone_e164
from recallcases.core.photo_pipeline import ProcessedPhoto
from recallcases.recalls.models import DEFAULT_TRACKING_URLS, Issue, Product, ProofItem, Recall
from recallcases.recalls.selectors import SerialVerdict, serial_lookup

logger = logging.getLogger(__name__)

PRIVACY_NOTICE_VERSION = "2026-11"


class ClaimRefused(Exception):
    """A claim that cannot be filed or changed; `message` is fit to show the consumer."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ConsumerDetails:
    name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    language: str
    purchase_date: date | None = None
    order_number: str = ""


@dataclass(frozen=True)
class SubmittedClaim:
    claim: Claim
    # The secret of the private status link. Only its hash is stored: this is the one chance to
    # show it to the consumer.
    access_token: str


SERIAL_MESSAGES = {
    SerialVerdict.MALFORMED: _("Type the serial number exactly as it appears on the label."),
    SerialVerdict.WRONG_LENGTH: _(
        "This recall's serial numbers have %(length)s characters. A unit whose serial number has "
        "another length is not affected; check the label again."
    ),
    SerialVerdict.NOT_RECALLED: _(
        "This serial number is not part of the recall. Check it against the label; if you are "
        "sure it is right, contact support."
    ),
}


def _serial_message(verdict, recall) -> str:
    """Why a serial is refused, with the recall's serial length."""
    return str(SERIAL_MESSAGES[verdict]) % {"length": recall.serial_lengths}


class _PhotoFiles:
    """Photo files written during a transaction, deleted again if the transaction fails.

    Storage is not transactional: without this, a claim rolled back (say, a duplicate serial)
    would leave its photos behind, unreferenced.
    """

    def __init__(self):
        self.names: list[str] = []

    def save(
        self,
        *,
        claim: Claim,
        kind: str,
        photo: ProcessedPhoto,
        proof_item: ProofItem | None = None,
    ) -> ClaimPhoto:
        if proof_item is not None:
            kind = PhotoKind.PROOF
        record = ClaimPhoto(
            claim=claim,
            kind=kind,
            proof_item=proof_item,
            width=photo.width,
            height=photo.height,
            source_format=photo.source_format,
            source_sha256=photo.source_sha256,
        )
        record.image.name = self._write(_photo_name(kind), photo.image)
        record.thumbnail.name = self._write(_photo_name(f"{kind}/thumbnails"), photo.thumbnail)
        record.save()
        return record

    def _write(self, name: str, content: bytes) -> str:
        stored = default_storage.save(name, ContentFile(content))
        self.names.append(stored)
        return stored

    def discard(self) -> None:
        for name in self.names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.exception("could not delete an orphaned photo file")
        self.names.clear()


# The code of the serial label photo: the one photo a recall that lists no proof items asks for.
SERIAL_LABEL_CODE = "serial_label"


def _proof_photos(
    *,
    recall: Recall,
    photo: ProcessedPhoto | None,
    photos: Mapping[str, ProcessedPhoto] | None,
    all_required: bool,
) -> list[tuple[ProofItem | None, ProcessedPhoto]]:
    """The photos to store with their proof items, in the recall's order, or ClaimRefused.

    `photos` maps a proof item's code to its photo; `photo` alone is the recall's first item's
    (the serial label where the recall lists none). A code the recall does not list is refused
    (a post naming another recall's item); with `all_required`, so is a missing required photo.
    """
    items = list(recall.proof_items.all())
    given = dict(photos or {})
    if photo is not None:
        given.setdefault(items[0].code if items else SERIAL_LABEL_CODE, photo)
    by_code = {item.code: item for item in items} or {SERIAL_LABEL_CODE: None}
    if any(code not in by_code for code in given):
        raise ClaimRefused(_("A photo was sent for something this recall does not ask for."))
    if not given:
        raise ClaimRefused(_("Please add a photo."))
    if all_required:
        for item in items or [None]:
            if (item is None or item.required) and (
                item.code if item else SERIAL_LABEL_CODE
            ) not in given:
                raise ClaimRefused(
                    _("Please add this photo: %(label)s.")
                    % {"label": item.label if item else PhotoKind.SERIAL_LABEL.label},
                    field=item.field_name if item else "photo",
                )
    return [(item, given[code]) for code, item in by_code.items() if code in given]


def _has_open_claim(*, recall: Recall, serial: str) -> bool:
    return (
        Claim.objects.filter(recall=recall, serial=serial)
        .exclude(status__in=RELEASED_STATUSES)
        .exists()
    )


DUPLICATE_SERIAL_MESSAGE = _(
    "A claim for this serial number is already open. If you filed it, use the private link you "
    "were given to follow it; otherwise contact support."
)


def claim_submit(
    *,
    recall: Recall,
    product: Product,
    serial_as_typed: str,
    details: ConsumerDetails,
    photo: ProcessedPhoto | None = None,
    photos: Mapping[str, ProcessedPhoto] | None = None,
    channel: str = Channel.WEB,
    agent=None,
    text_opt_in: bool = False,
    remedy: str = "",
) -> SubmittedClaim:
    """File a claim for one unit, with its proof photos: all of it, or nothing.

    `remedy` is the one the consumer chose among the recall's offers; empty when it offers one.

    `photos` maps each of the recall's proof items (by code) to its photo; `photo` alone is the
    first item's (the serial label photo of a recall that lists no proof items). Raises
    ClaimRefused when a required photo is missing or one is for an item the recall does not
    list, when the serial is not in scope or already has an open claim; fifty simultaneous
    submissions of one serial give one claim and forty-nine ClaimRefused. A claim taken by phone
    (`channel`, `agent`: calls.claim_submit_by_phone) comes without photos (the consumer adds
    them from the link); its first event names the agent. `text_opt_in`: the consumer asked for
    status texts to their phone, which must then be a mobile number.
    """
    if channel == Channel.PHONE:
        proof = []
    else:
        proof = _proof_photos(recall=recall, photo=photo, photos=photos, all_required=True)
    text_number = phone_e164(details.phone, country=details.country) if text_opt_in else None
    if text_opt_in and text_number is None:
        raise ClaimRefused(
            _("Texts need a mobile number with its area code, such as 514-555-0199."),
            field="phone",
        )
    check = serial_lookup(recall=recall, raw_serial=serial_as_typed)
    if not check.is_recalled:
        raise ClaimRefused(_serial_message(check.verdict, recall), field="serial")
    if product.recall_id != recall.pk:
        raise ClaimRefused(_("Choose one of this recall's products."), field="product")
    remedy = remedy or recall.first_remedy
    if remedy not in recall.offered_remedies:
        raise ClaimRefused(_("Choose one of the remedies this recall offers."), field="remedy")

    token = new_access_token()
    files = _PhotoFiles()
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                recall=recall,
                product=product,
                registry_product=check.product,
                reference=new_reference(),
                access_token_hash=hash_access_token(token),
                serial=check.serial.value,
                remedy=remedy,
                serial_as_typed=serial_as_typed.strip()[:80],
                consented_at=timezone.now(),
                privacy_notice_version=PRIVACY_NOTICE_VERSION,
                address_key=address_key(
                    line1=details.address_line1,
                    line2=details.address_line2,
                    postal_code=details.postal_code,
                    country=details.country,
                ),
                email_disposable=is_disposable_email(details.email),
                channel=channel,
                text_number=text_number or "",
                text_opt_in_at=timezone.now() if text_number else None,
                **{**details.__dict__, "email": details.email.strip().lower()},
            )
            record_event(
                claim=claim,
                actor=Actor.staff(agent) if channel == Channel.PHONE else CONSUMER,
                from_status="",
                to_status=ClaimStatus.SUBMITTED,
            )
            for item, processed in proof:
                files.save(
                    claim=claim, kind=PhotoKind.SERIAL_LABEL, photo=processed, proof_item=item
                )
    except IntegrityError:
        files.discard()
        if _has_open_claim(recall=recall, serial=check.serial.value):
            raise ClaimRefused(DUPLICATE_SERIAL_MESSAGE, field="serial") from None
        raise
    except BaseException:
        files.discard()
        raise
    logger.info("claim %s submitted", claim.reference)
    return SubmittedClaim(claim=claim, access_token=token)


def consumer_upload_kind(claim: Claim) -> tuple[str, str] | None:
    """What the claim waits for from the consumer now, as (photo kind, status it leads to).

    Read from the transition table: a claim asking for information takes a new label photo; a
    claim waiting for proof of disposal (after shipping, or before where the recall says so)
    takes a disposal photo. None when it waits for nothing.
    """
    steps = transitions_for(claim=claim)
    if steps.get(ClaimStatus.RESUBMITTED) == BY_CONSUMER:
        return PhotoKind.SERIAL_LABEL, ClaimStatus.RESUBMITTED
    if steps.get(ClaimStatus.DISPOSAL_SUBMITTED) == BY_CONSUMER:
        return PhotoKind.DISPOSAL, ClaimStatus.DISPOSAL_SUBMITTED
    return None


def consumer_may_choose_remedy(claim: Claim) -> bool:
    """Whether the consumer may still change the remedy they chose: the recall offers more than
    one, and the claim is not approved yet (nor stopped, nor anonymised)."""
    return (
        len(claim.recall.remedies) > 1
        and STATUSES[claim.status].remedy_open
        and claim.anonymised_at is None
    )


@transaction.atomic
def claim_remedy_change(
    *,
    claim_id: int,
    remedy: str,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
) -> Claim:
    """Change the remedy of a claim: by its consumer until it is approved, by staff (who hold
    claims.change_claim_remedy, with a note) until it is issued. Raises ClaimRefused.
    """
    claim = Claim.objects.select_for_update(of=("self",)).select_related("recall").get(pk=claim_id)
    if expected_version is not None and claim.version != expected_version:
        raise ClaimRefused(
            _("This claim was changed by someone else meanwhile. Reload it and try again.")
        )
    if remedy not in claim.recall.offered_remedies:
        raise ClaimRefused(_("Choose one of the remedies this recall offers."), field="remedy")
    note = note.strip()
    if actor.kind == "consumer":
        if not consumer_may_choose_remedy(claim):
            raise ClaimRefused(_("The remedy of this claim can no longer be changed."))
    elif actor.kind == "staff":
        if not actor.user.has_perm("claims.change_claim_remedy"):
            raise ClaimRefused(_("You are not allowed to make this change."))
        if not staff_may_change_remedy(claim):
            raise ClaimRefused(_("The remedy of this claim is already issued."))
        if not note:
            raise ClaimRefused(_("Please say why the remedy changes."), field="note")
    if remedy == claim.remedy:
        return claim
    before = claim.remedy
    claim.remedy = remedy
    claim.version += 1
    claim.save(update_fields=["remedy", "version", "updated_at"])
    audit_record(
        actor=actor.user,
        actor_kind=actor.kind,
        action=AuditAction.REMEDY_CHANGE,
        subject=claim,
        subject_label=claim.reference,
        recall_id=claim.recall_id,
        claim_id=claim.pk,
        before={"remedy": before},
        after={"remedy": remedy},
        note=note,
    )
    if claim.recall.remedy_offer(remedy).issued_by == Issue.CODE:
        # A claim already approved for another remedy may take its code now.
        from recallcases.claims.services.codes import remedy_code_issue_later

        remedy_code_issue_later(claim_id=claim.pk)
    return claim


def staff_may_change_remedy(claim: Claim) -> bool:
    """Whether staff may still change a claim's remedy: it is not issued, nor the claim over."""
    return (
        len(claim.recall.remedies) > 1
        and claim.anonymised_at is None
        and claim.status not in ENDED_STATUSES
        and not claim.shipments.exists()
        and not RemedyCode.objects.filter(claim=claim).exists()
    )


def consumer_may_withdraw(claim: Claim) -> bool:
    return transitions_for(claim=claim).get(ClaimStatus.WITHDRAWN) == BY_CONSUMER


def claim_withdraw(*, claim: Claim, expected_version: int | None = None) -> Claim:
    """The consumer withdraws their claim (before the remedy ships)."""
    try:
        return claim_transition(
            claim_id=claim.pk,
            to_status=ClaimStatus.WITHDRAWN,
            actor=CONSUMER,
            expected_version=expected_version,
        )
    except TransitionRefused as refused:
        raise ClaimRefused(refused.message) from None


def claim_consumer_upload(
    *,
    claim: Claim,
    photo: ProcessedPhoto | None = None,
    photos: Mapping[str, ProcessedPhoto] | None = None,
    corrected_serial: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Claim:
    """Take the photo (and, when asked for information, a corrected serial) the claim waits for.

    Asked for information, the consumer sends one or more of the recall's proof photos
    (`photos`, by code; `photo` alone is the first item's), e.g. the one staff found missing;
    waiting for proof of disposal, `photo` is that proof. The photos, the serial change and the
    status change happen together or not at all.
    """
    expected = consumer_upload_kind(claim)
    if expected is None:
        raise ClaimRefused(_("This claim is not waiting for a photo from you."))
    kind, next_status = expected
    if kind == PhotoKind.SERIAL_LABEL:
        proof = _proof_photos(recall=claim.recall, photo=photo, photos=photos, all_required=False)
    elif photo is None or photos:
        raise ClaimRefused(_("Please add a photo."))
    else:
        proof = [(None, photo)]
    serial = None
    if corrected_serial.strip() and kind == PhotoKind.SERIAL_LABEL:
        check = serial_lookup(recall=claim.recall, raw_serial=corrected_serial)
        if not check.is_recalled:
            raise ClaimRefused(_serial_message(check.verdict, claim.recall), field="serial")
        serial = check

    files = _PhotoFiles()
    try:
        with transaction.atomic():
            if serial is not None and serial.serial.value != claim.serial:
                Claim.objects.filter(pk=claim.pk).update(
                    serial=serial.serial.value,
                    serial_as_typed=corrected_serial.strip()[:80],
                    registry_product=serial.product,
                )
                _consumer_audit(
                    claim=claim,
                    action=AuditAction.SERIAL_CORRECT,
                    subject=claim,
                    before={"serial": claim.serial, "serial_as_typed": claim.serial_as_typed},
                    after={
                        "serial": serial.serial.value,
                        "serial_as_typed": corrected_serial.strip()[:80],
                    },
                )
            for item, processed in proof:
                uploaded = files.save(claim=claim, kind=kind, photo=processed, proof_item=item)
                _consumer_audit(
                    claim=claim,
                    action=AuditAction.PHOTO_UPLOAD,
                    subject=uploaded,
                    after={"kind": item.code if item is not None else kind},
                )
            return claim_transition(
                claim_id=claim.pk,
                to_status=next_status,
                actor=CONSUMER,
                note=note,
                expected_version=expected_version,
            )
    except IntegrityError:
        files.discard()
        raise ClaimRefused(DUPLICATE_SERIAL_MESSAGE, field="serial") from None
    except TransitionRefused as refused:
        files.discard()
        raise ClaimRefused(refused.message) from None
    except BaseException:
        files.discard()
        raise


def claim_photo_seen(*, photo: ClaimPhoto, user) -> bool:
    """Record that staff member `user` opened `photo`; True the first time (audited then).

    A step that needs the claim's photos seen (lifecycle `Step.needs_photos_seen`) reads these rows.
    """
    with transaction.atomic():
        _view, created = ClaimPhotoView.objects.get_or_create(photo=photo, user=user)
        if created:
            claim = photo.claim
            audit_record(
                actor=user,
                action=AuditAction.PHOTO_VIEW,
                subject=photo,
                subject_label=claim.reference,
                recall_id=claim.recall_id,
                claim_id=claim.pk,
                after={"kind": photo.proof_item.code if photo.proof_item_id else photo.kind},
            )
    return created


def _consumer_audit(*, claim: Claim, action: str, subject, before=None, after=None) -> None:
    audit_record(
        actor=None,
        actor_kind=ActorKind.CONSUMER,
        action=action,
        subject=subject,
        subject_label=claim.reference,
        recall_id=claim.recall_id,
        claim_id=claim.pk,
        before=before,
        after=after,
    )


def claim_link_for(*, claim: Claim, key: str) -> str:
    """The private status link of `claim` for `key` (an email's Message-ID); returns its secret.

    The same secret every time for the same key, and one stored hash: an email tried three times
    leaves one live link, not three. The secret itself is derived, never stored (see
    derived_access_token).
    """
    token = derived_access_token(key)
    # By claim and hash: a hash already held by another claim fails its unique index, loudly.
    ClaimLink.objects.get_or_create(claim=claim, token_hash=hash_access_token(token))
    return token


def claim_links_revoke(*, claim: Claim, keys: Iterable[str] = ()) -> int:
    """Revoke every live private link of `claim`, in the caller's transaction; return how many.

    The link shown at filing and every emailed link are marked revoked, not deleted, so what
    stopped when stays on record. `keys` are the Message-IDs of the claim's emails written so
    far: the link of one not sent yet is made now, revoked, so that sending it later (or again)
    does not bring back a live link from before the revocation. The caller writes the audit row
    and the email with the new link (notifications.services.claim_links_renew).
    """
    now = timezone.now()
    # Links not made yet are made revoked; those that exist keep their row and are revoked below.
    ClaimLink.objects.bulk_create(
        [
            ClaimLink(
                claim=claim,
                token_hash=hash_access_token(derived_access_token(key)),
                revoked_at=now,
            )
            for key in keys
        ],
        ignore_conflicts=True,
    )
    revoked = ClaimLink.objects.filter(claim=claim, revoked_at__isnull=True).update(revoked_at=now)
    revoked += Claim.objects.filter(pk=claim.pk, access_token_revoked_at__isnull=True).update(
        access_token_revoked_at=now
    )
    return revoked


# Staff steps on claims that do more than a transition: shipping, bulk approval.
# Carriers a shipping partner is likely to name, and the tracking page of each.
# The carriers staff record shipments with (and the tracking import knows by name); each recall's
# file holds their tracking pages (Recall.tracking_urls, these by default).
TRACKING_URLS = DEFAULT_TRACKING_URLS


def tracking_url(*, carrier: str, tracking_number: str, recall: Recall | None = None) -> str:
    """The carrier's tracking page of a shipment, from the recall's templates (the defaults when
    no recall is given); "" for a carrier it has none for."""
    if recall is None:
        recall = Recall(tracking_urls=DEFAULT_TRACKING_URLS)
    return recall.tracking_url(carrier=carrier, tracking_number=tracking_number)


@transaction.atomic
def claim_ship(
    *,
    claim_id: int,
    actor: Actor,
    carrier: str,
    tracking_number: str,
    remedy: str = "",
    expected_version: int | None = None,
) -> Claim:
    """Record what was issued for a claim and how it travels, and mark the claim shipped.

    `remedy` is what was shipped: the claim's own when empty; a remedy that is not shipped (a
    refund, a gift card) is refused. The shipment and the transition happen together or not at
    all; a tracking number already recorded for another claim is refused.
    """
    # Carriers print tracking numbers in groups; "7023 2109" and "70232109" are one parcel.
    carrier, tracking_number = carrier.strip(), re.sub(r"\s+", "", tracking_number).upper()
    if not carrier or not tracking_number:
        raise TransitionRefused(_("Give the carrier and the tracking number."))
    found = Claim.objects.select_related("recall").filter(pk=claim_id).first()
    remedy = remedy or (found.remedy if found else "")
    if found is None or remedy not in found.recall.offered_remedies:
        raise TransitionRefused(_("This recall does not offer that remedy."))
    if remedy != found.remedy:
        # What ships is what the consumer chose: staff change the claim's remedy first, saying why.
        raise TransitionRefused(
            _("This claim's remedy is another one: change the claim's remedy first.")
        )
    if found.recall.remedy_offer(remedy).issued_by != Issue.SHIPMENT:
        raise TransitionRefused(
            _("This claim's remedy is not shipped: it is issued by its own page.")
        )
    claim = claim_transition(
        claim_id=claim_id,
        to_status=ClaimStatus.REPLACEMENT_SHIPPED,
        actor=actor,
        note=f"{carrier} {tracking_number}",
        expected_version=expected_version,
    )
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                claim=claim,
                remedy=remedy,
                carrier=carrier,
                tracking_number=tracking_number,
                recorded_by=actor.user,
            )
    except IntegrityError:
        raise TransitionRefused(
            _("This tracking number is already recorded for another claim.")
        ) from None
    audit_record(
        actor=actor.user,
        actor_kind=actor.kind,
        action=AuditAction.SHIPMENT_RECORD,
        subject=shipment,
        subject_label=claim.reference,
        recall_id=claim.recall_id,
        claim_id=claim.pk,
        after={"remedy": remedy, "carrier": carrier, "tracking_number": tracking_number},
    )
    return claim


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    # (reference, why) for each claim left as it was
    refused: list[tuple[str, str]] = field(default_factory=list)


def claims_approve(*, claim_ids: list[int], actor: Actor) -> BulkResult:
    """Approve the remedy of many verified claims; each succeeds or fails on its own."""
    result = BulkResult()
    for claim in Claim.objects.filter(pk__in=claim_ids).only("pk", "reference"):
        try:
            claim_transition(
                claim_id=claim.pk, to_status=ClaimStatus.REPLACEMENT_APPROVED, actor=actor
            )
        except TransitionRefused as refused:
            result.refused.append((claim.reference, str(refused.message)))
        else:
            result.done.append(claim.reference)
    return result
