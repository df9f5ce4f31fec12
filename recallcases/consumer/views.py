"""Public pages: the recall, the serial check, the claim form and the private status page.

Views are thin: they parse input, call one service or selector, and render or redirect.
"""

import json
import time
from dataclasses import replace
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from recallcases.claims.models import ClaimPhoto, PhotoKind
from recallcases.claims.selectors import (
    LinkState,
    claim_links_revoked_since,
    claim_proof_missing,
    status_link_lookup,
)
from recallcases.claims.services import (
    ClaimRefused,
    ConsumerDetails,
    claim_consumer_upload,
    claim_photo_seen,
    claim_remedy_change,
    claim_submit,
    claim_withdraw,
    consumer_may_choose_remedy,
    consumer_may_withdraw,
    consumer_upload_kind,
)
from recallcases.claims.transitions import CONSUMER
from recallcases.consumer.dropoff import DISPOSAL_DROPOFF
from recallcases.consumer.form_cache import SERIAL_MARK, form_html, recall_form_key
from recallcases.consumer.forms import (
    ClaimForm,
    MessageVerifyForm,
    RemedyChoiceForm,
    SerialCheckForm,
    SerialSearchForm,
    StatusUploadForm,
    WithdrawForm,
)
from recallcases.consumer.page_cache import page_response
from recallcases.consumer.status_cache import claim_progress_html
from recallcases.core.ratelimits import over_rate_limit, rate_limited
from recallcases.notifications.selectors import message_verification
from recallcases.recalls.models import Product, ProofItem, Recall
from recallcases.recalls.selectors import (
    SerialCheck,
    SerialVerdict,
    recall_language_require,
    recall_open_by_slug,
    recalls_open,
    serial_lookup,
    serial_lookup_any,
)

# Session keys. The status link's token is in the session only until the confirmation page first
# shows it (then only its hash exists, in the database); the reference stays for an hour, so that
# a reload still shows it.
SUBMITTED_CLAIM = "submitted_claim"
SUBMITTED_CLAIM_TTL = 3600
# The recalled serial a browser last checked, for the claim form to fill in: a signed cookie, not
# the session, so that checking a serial writes nothing to the database (the check is the page
# announcement-day crowds hit). It holds the serial (not personal data by itself: the unit's), the
# recall and the product; signed, so a page never fills in a serial this site did not find.
CHECKED_SERIAL_COOKIE = "checked_serial"
CHECKED_SERIAL_SALT = "recallcases.consumer.checked_serial"
# The claims whose private link this browser opened, and when it last recorded opening each
# (pairs of claim id and Unix time, latest last, at most OPENED_CLAIMS_KEPT): their photos may be
# shown to it, unless their links were revoked since. A signed cookie, not the session, so that
# the status page reads and writes no session (ADR 0010); signed, so a browser cannot add a claim
# or move a time; it lasts the session's lifetime. Holds ids and times only.
OPENED_CLAIMS_COOKIE = "opened_claims"
OPENED_CLAIMS_SALT = "recallcases.consumer.opened_claims"
OPENED_CLAIMS_KEPT = 20


def _over_serial_check_limit(request) -> bool:
    """Whether this client is over the serial check's limits: every way to look a serial up (a
    recall's check, the check across recalls, a corrected serial) counts on the same counters."""
    return over_rate_limit(
        request,
        group="serial-check",
        rates=[settings.SERIAL_CHECK_RATE, settings.SERIAL_CHECK_DAILY_CAP],
    )


def _checked_serial_remember(response, *, recall: Recall, check) -> None:
    """Keep a recalled serial for the claim form to fill in (read by `_checked_serial`)."""
    value = {"recall": recall.slug, "serial": check.serial.value, "product": check.product.pk}
    response.set_signed_cookie(
        CHECKED_SERIAL_COOKIE,
        json.dumps(value, separators=(",", ":")),
        salt=CHECKED_SERIAL_SALT,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _checked_serial(request, recall: Recall) -> dict | None:
    """The recalled serial this browser last checked for `recall`: serial and product, or None."""
    try:
        value = json.loads(
            request.get_signed_cookie(
                CHECKED_SERIAL_COOKIE,
                salt=CHECKED_SERIAL_SALT,
                max_age=settings.SESSION_COOKIE_AGE,
            )
        )
    except (KeyError, signing.BadSignature, ValueError):
        return None
    if not isinstance(value, dict) or value.get("recall") != recall.slug:
        return None
    return value


def _serial_check_form_html(recall: Recall, form: SerialCheckForm):
    """The check form's HTML: kept, with the serial typed put in, unless it has errors."""
    if form.is_bound and form.errors:
        return None  # the template renders it, errors and all
    return _serial_check_form_kept(recall, form.data.get("serial") if form.is_bound else None)


def _serial_check_form_kept(recall: Recall, serial: str | None):
    return form_html(
        lambda value: SerialCheckForm(None if value is None else {"serial": value}, recall=recall),
        key=recall_form_key(recall, "serial-check"),
        serial=serial,
    )


# Where the serial as the check read it goes in a kept answer page (consumer.page_cache).
CHECKED_SERIAL_MARK = "\ue000checked\ue000"
# The answers whose page is kept: those nearly every check gets. A serial of another length (its
# page says how many characters were typed) or a malformed one is rendered each time.
KEPT_ANSWERS = (SerialVerdict.RECALLED, SerialVerdict.NOT_RECALLED)


def _check_answer(request, *, recall: Recall, check: SerialCheck, typed: str | None):
    """The page of a check's answer of KEPT_ANSWERS: kept per recall copy, language, answer,
    product and letters read as digits (consumer.page_cache), with the serial as read and, in
    the form, the serial as `typed` (None: an empty form) put in."""
    product = check.product.pk if check.product is not None else ""
    read_as = "".join(letter + digit for letter, digit in check.serial.letters_read_as_digits)
    context = {
        "recall": recall,
        "form_html": _serial_check_form_kept(recall, None if typed is None else SERIAL_MARK),
        "check": replace(check, serial=replace(check.serial, value=CHECKED_SERIAL_MARK)),
    }
    values = {CHECKED_SERIAL_MARK: check.serial.value}
    if typed is not None:
        values[SERIAL_MARK] = typed
    return page_response(
        request,
        "consumer/serial_check.html",
        context,
        key=recall_form_key(recall, f"check:{check.verdict}:{product}:{read_as}:{typed is None}"),
        values=values,
    )


def home(request):
    recalls = recalls_open()
    if len(recalls) == 1:
        return redirect("consumer:recall", slug=recalls[0].slug)
    return render(request, "consumer/home.html", {"recalls": recalls, "form": SerialSearchForm()})


@require_http_methods(["GET", "POST"])
def serial_check_any(request):
    """The check across open recalls, for a consumer who does not know which recall is theirs."""
    recalls = recalls_open()
    if request.method == "GET":
        return render(
            request, "consumer/home.html", {"recalls": recalls, "form": SerialSearchForm()}
        )
    # The same counters as each recall's own check: no cheaper way to probe the registries.
    if _over_serial_check_limit(request):
        return rate_limited(request)
    form = SerialSearchForm(request.POST)
    if not form.is_valid():
        return render(request, "consumer/home.html", {"recalls": recalls, "form": form})
    search = serial_lookup_any(serial=form.cleaned_data["serial"], recalls=recalls)
    matches = search.matches
    if len(matches) > 1:
        # The serial's shape is in several recalls: the consumer names the product.
        form = SerialSearchForm(request.POST, products=[m.check.product for m in matches])
        chosen = form.cleaned_data.get("product") if form.is_valid() else None
        matches = [m for m in matches if m.check.product.pk == chosen]
        if not matches:
            if not request.POST.get("product"):
                form.errors.pop("product", None)
            return render(
                request,
                "consumer/home.html",
                {"recalls": recalls, "form": form, "verdict": "ambiguous"},
            )
    if matches:
        recall, check = matches[0].recall, matches[0].check
        # The same answer as the recall's own check, whose page it is from here on.
        response = _check_answer(request, recall=recall, check=check, typed=None)
        _checked_serial_remember(response, recall=recall, check=check)
        return response
    verdict = "not_recalled" if search.is_well_formed else "malformed"
    return render(
        request,
        "consumer/home.html",
        {"recalls": recalls, "form": form, "verdict": verdict},
    )


@require_http_methods(["GET", "POST"])
def message_verify(request):
    """'Is this message really from the recall?': the code at the foot of an email or a text, and
    whether we sent it. The code is posted, never put in the address."""
    verification = None
    if request.method == "POST":
        if over_rate_limit(request, group="message-verify", rates=[settings.MESSAGE_VERIFY_RATE]):
            return rate_limited(request)
        form = MessageVerifyForm(request.POST)
        if form.is_valid():
            verification = message_verification(code=form.cleaned_data["code"], now=timezone.now())
    else:
        form = MessageVerifyForm()
    return render(
        request, "consumer/message_verify.html", {"form": form, "verification": verification}
    )


def _open_recall(slug: str) -> Recall:
    recall = recall_open_by_slug(slug=slug)
    if recall is None:
        raise Http404
    return recall_language_require(recall=recall)


def recall_detail(request, slug):
    recall = _open_recall(slug)
    form = SerialCheckForm(recall=recall)
    return render(
        request,
        "consumer/recall_detail.html",
        {"recall": recall, "form": form, "form_html": _serial_check_form_html(recall, form)},
    )


@require_http_methods(["GET", "POST"])
def serial_check(request, slug):
    recall = _open_recall(slug)
    # Serials are posted, never put in the address: addresses end up in logs and histories.
    if request.method == "GET":
        form = SerialCheckForm(recall=recall)
        return render(
            request,
            "consumer/serial_check.html",
            {"recall": recall, "form": form, "form_html": _serial_check_form_html(recall, form)},
        )
    if _over_serial_check_limit(request):
        return rate_limited(request)
    form = SerialCheckForm(request.POST, recall=recall)
    check = None
    if form.is_valid():
        check = serial_lookup(recall=recall, raw_serial=form.cleaned_data["serial"])
    if check is not None and check.verdict in KEPT_ANSWERS:
        response = _check_answer(request, recall=recall, check=check, typed=form.data["serial"])
    else:
        response = render(
            request,
            "consumer/serial_check.html",
            {
                "recall": recall,
                "form": form,
                "form_html": _serial_check_form_html(recall, form),
                "check": check,
            },
        )
    if check is not None and check.is_recalled:
        _checked_serial_remember(response, recall=recall, check=check)
    return response


@require_http_methods(["GET", "POST"])
def claim_create(request, slug):
    recall = _open_recall(slug)
    if request.method == "POST":
        if over_rate_limit(request, group="claim-submit", rates=[settings.CLAIM_SUBMIT_RATE]):
            return rate_limited(request)
        form = ClaimForm(request.POST, request.FILES, recall=recall)
        if form.is_valid():
            data = form.cleaned_data
            try:
                submitted = claim_submit(
                    recall=recall,
                    product=data["product"],
                    serial_as_typed=data["serial"],
                    details=ConsumerDetails(
                        **{name: data[name] for name in ConsumerDetails.__dataclass_fields__}
                    ),
                    photos=form.proof_photos(),
                    text_opt_in=data.get("text_opt_in", False),
                    remedy=data["remedy"],
                )
            except ClaimRefused as refused:
                form.add_error(
                    refused.field if refused.field in form.fields else None, refused.message
                )
            else:
                request.session[SUBMITTED_CLAIM] = {
                    "recall": recall.slug,
                    "reference": submitted.claim.reference,
                    "token": submitted.access_token,
                    "language": submitted.claim.language,
                    "at": time.time(),
                }
                if not request.user.is_authenticated:
                    # The session holds nothing else of a consumer: it ends with what it holds,
                    # and a browser back later on its status page sends no session to read.
                    request.session.set_expiry(SUBMITTED_CLAIM_TTL)
                response = redirect("consumer:claim_received", slug=recall.slug)
                _remember_opened(request, response, submitted.claim.pk)
                response.delete_cookie(CHECKED_SERIAL_COOKIE, samesite="Lax")
                return response
        return render(request, "consumer/claim_form.html", {"recall": recall, "form": form})
    return render(
        request,
        "consumer/claim_form.html",
        {"recall": recall, "form_html": _claim_form_html(request, recall)},
    )


def _claim_form_html(request, recall: Recall):
    """The empty claim form, in the page's language, with the serial last checked filled in."""
    # The page's language: a recall's pages are only ever shown in a language it offers.
    initial = {"language": get_language()}
    serial = None
    checked = _checked_serial(request, recall)
    # The products came with the recall: a product removed since the check fills in nothing.
    if checked is not None and any(p.pk == checked.get("product") for p in recall.products.all()):
        initial["product"] = checked["product"]
        serial = str(checked.get("serial", ""))
    return form_html(
        lambda value: ClaimForm(
            recall=recall, initial=initial if value is None else {**initial, "serial": value}
        ),
        key=recall_form_key(recall, f"claim:{initial.get('product', '')}"),
        serial=serial,
    )


def _opened_claims(request) -> list[tuple[int, float]]:
    """The claims this browser opened and when, from its signed cookie (latest last)."""
    try:
        value = json.loads(
            request.get_signed_cookie(
                OPENED_CLAIMS_COOKIE, salt=OPENED_CLAIMS_SALT, max_age=settings.SESSION_COOKIE_AGE
            )
        )
        return [(int(pk), float(at)) for pk, at in value]
    except (KeyError, signing.BadSignature, ValueError, TypeError):
        return []


def _remember_opened(
    request, response, claim_id: int, *, unrevoked_since: datetime | None = None
) -> None:
    """Record on `response` that this browser opened the claim's link, now.

    A browser back on the claim it opened last, which it recorded opening after
    `unrevoked_since` (no revocation can have happened since: see StatusLink), has nothing new to
    record, and no cookie is sent. What the photo view decides is the same either way: no
    revocation after either moment.
    """
    opened = _opened_claims(request)
    last_id, last_at = opened[-1] if opened else (None, 0)
    if (
        unrevoked_since is not None
        and last_id == claim_id
        and last_at >= unrevoked_since.timestamp()
    ):
        return
    kept = [(pk, at) for pk, at in opened if pk != claim_id][1 - OPENED_CLAIMS_KEPT :]
    response.set_signed_cookie(
        OPENED_CLAIMS_COOKIE,
        json.dumps([*kept, (claim_id, time.time())], separators=(",", ":")),
        salt=OPENED_CLAIMS_SALT,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _opened_by_this_browser(request, claim_id: int) -> bool:
    """Whether this browser opened the claim's private link, and the link was not revoked since."""
    opened_at = dict(_opened_claims(request)).get(claim_id)
    if opened_at is None:
        return False
    return not claim_links_revoked_since(
        claim_id=claim_id, moment=datetime.fromtimestamp(opened_at, tz=UTC)
    )


@never_cache
def claim_received(request, slug):
    recall = _open_recall(slug)
    submitted = request.session.get(SUBMITTED_CLAIM)
    if not submitted or submitted.get("recall") != recall.slug:
        return redirect("consumer:recall", slug=recall.slug)
    if time.time() - submitted["at"] > SUBMITTED_CLAIM_TTL:
        request.session.pop(SUBMITTED_CLAIM)
        return redirect("consumer:recall", slug=recall.slug)
    status_url = ""
    if token := submitted.pop("token", None):
        request.session[SUBMITTED_CLAIM] = submitted
        # The private link opens in the language the consumer chose for the claim.
        with translation.override(submitted["language"]):
            status_path = reverse("consumer:claim_status", kwargs={"token": token})
        status_url = request.build_absolute_uri(status_path)
    return render(
        request,
        "consumer/claim_received.html",
        {"recall": recall, "reference": submitted["reference"], "status_url": status_url},
    )


# The version check's refusal, as claim_transition words it.
STALE_PAGE = gettext_lazy(
    "This claim was changed by someone else meanwhile. Reload it and try again."
)


@never_cache
@require_http_methods(["GET", "POST"])
def claim_status(request, token):
    link = status_link_lookup(token=token)
    if link is None:
        raise Http404
    recall_language_require(recall=link.claim.recall)
    if link.state != LinkState.OPEN:
        # Never the claim: only that the link is over, and whom to ask (the recall's support).
        return render(
            request,
            "consumer/status_link_closed.html",
            {"recall": link.claim.recall, "revoked": link.state == LinkState.REVOKED},
            status=410,
        )
    response = _claim_status_open(request, link.claim)
    _remember_opened(request, response, link.claim.pk, unrevoked_since=link.unrevoked_since)
    return response


def _claim_status_open(request, claim):
    """The status page of a claim whose link opens it: shown, or the consumer's answer handled."""
    expected = consumer_upload_kind(claim)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "upload" and _upload_over_limit(request):
        return rate_limited(request)
    upload_form = withdraw_form = remedy_form = None
    if consumer_may_choose_remedy(claim):
        remedy_form = RemedyChoiceForm(
            request.POST if action == "remedy" else None,
            recall=claim.recall,
            initial={"remedy": claim.remedy, "version": claim.version},
        )
    if expected is not None:
        upload_form = _upload_form(request if action == "upload" else None, claim, expected)
    withdraw_html = None
    if consumer_may_withdraw(claim):
        withdraw_form = WithdrawForm(
            request.POST if action == "withdraw" else None,
            initial={"version": claim.version},
            remedy=claim.remedy,
        )
        if not withdraw_form.is_bound:
            # The same for every claim at this version: kept (consumer.form_cache).
            withdraw_html = form_html(
                lambda _serial: WithdrawForm(
                    initial={"version": claim.version}, remedy=claim.remedy
                ),
                key=f"withdraw:{claim.version}:{claim.remedy}",
            )

    if request.method == "POST":
        try:
            if action == "upload" and upload_form is not None:
                # Before the photo is decoded: a page of another version of the claim (a second
                # tab, a replay) costs no decoding.
                if upload_form.is_stale(version=claim.version):
                    messages.error(request, STALE_PAGE)
                    upload_form = _upload_form(None, claim, expected)
                elif upload_form.is_valid():
                    data = upload_form.cleaned_data
                    # The proof photos asked for again, by item; else the proof of disposal.
                    photos = upload_form.proof_photos()
                    claim_consumer_upload(
                        claim=claim,
                        photo=None if photos else data["photo"],
                        photos=photos,
                        corrected_serial=data.get("serial", ""),
                        note=data["note"],
                        expected_version=data["version"],
                    )
                    messages.success(request, _("Thank you. We received your photo."))
                    return redirect(request.path)
            elif action == "remedy" and remedy_form is not None:
                if remedy_form.is_valid():
                    claim_remedy_change(
                        claim_id=claim.pk,
                        remedy=remedy_form.cleaned_data["remedy"],
                        actor=CONSUMER,
                        expected_version=remedy_form.cleaned_data["version"],
                    )
                    messages.success(request, _("Your choice of remedy is saved."))
                    return redirect(request.path)
            elif action == "withdraw" and withdraw_form is not None:
                if withdraw_form.is_valid():
                    claim_withdraw(
                        claim=claim, expected_version=withdraw_form.cleaned_data["version"]
                    )
                    messages.info(request, _("Your claim is withdrawn."))
                    return redirect(request.path)
            else:
                messages.info(request, _("This claim is not waiting for anything from you."))
                return redirect(request.path)
        except ClaimRefused as refused:
            form = {"upload": upload_form, "remedy": remedy_form}.get(action, withdraw_form)
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
    progress_html, photos_html = claim_progress_html(claim)
    return render(
        request,
        "consumer/claim_status.html",
        {
            "claim": claim,
            "recall": claim.recall,
            "progress_html": progress_html,
            "photos_html": photos_html,
            "upload_form": upload_form,
            "asks_for_disposal": expected is not None and expected[0] == PhotoKind.DISPOSAL,
            "dropoff": DISPOSAL_DROPOFF.get(claim.country),
            "withdraw_form": withdraw_form,
            "remedy_form": remedy_form,
            "offer": claim.recall.remedy_offer(claim.remedy),
            "withdraw_html": withdraw_html,
        },
    )


def _upload_form(request, claim, expected) -> StatusUploadForm:
    """The upload form of the status page: bound to what `request` posted, or a fresh one."""
    asks_for_serial = expected[0] == PhotoKind.SERIAL_LABEL
    return StatusUploadForm(
        request.POST if request is not None else None,
        request.FILES if request is not None else None,
        asks_for_serial=asks_for_serial,
        recall=claim.recall,
        missing=claim_proof_missing(claim) if asks_for_serial else (),
        initial={"version": claim.version},
    )


def _upload_over_limit(request) -> bool:
    """Whether this upload is over the limits: uploads count as claim submissions, and a
    corrected serial as a serial check too (the same counters as the public check), so the
    status page is no cheaper way to probe the registry or to make the server decode photos."""
    if request.POST.get("serial", "").strip() and _over_serial_check_limit(request):
        return True
    return over_rate_limit(request, group="status-upload", rates=[settings.CLAIM_SUBMIT_RATE])


@never_cache
def claim_photo(request, photo_id, variant):
    """A claim photo, to staff allowed to see photos or to the browser that opened its link."""
    if variant not in ("image", "thumbnail"):
        raise Http404
    photo = get_object_or_404(
        ClaimPhoto.objects.only("claim_id", "kind", "proof_item_id", "image", "thumbnail"),
        pk=photo_id,
    )
    staff_may = (
        request.user.has_perm("claims.view_claim_photos")
        # A password alone is not enough where the second factor is due.
        and request.staff_cleared()
    )
    allowed = staff_may or _opened_by_this_browser(request, photo.claim_id)
    if not allowed:
        raise Http404
    if staff_may and variant == "image":
        # The full image reached this staff member: a step that needs the photo seen may follow.
        claim_photo_seen(photo=photo, user=request.user)
    file = photo.thumbnail if variant == "thumbnail" else photo.image
    response = FileResponse(file.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# What a recall picture is, by the address's kind: the model and its picture field.
RECALL_PICTURES = {"label": (Product, "label_picture"), "example": (ProofItem, "example_picture")}


def _may_preview(request) -> bool:
    """Whether this is staff who edit recalls (past the second factor where due): they see a
    recall's pages and pictures before it opens."""
    return request.user.has_perm("recalls.change_recall") and request.staff_cleared()


def recall_picture(request, kind, pk):
    """A recall's picture (where a product's label is, an example proof photo): public content
    of an open recall, re-encoded when it was stored; of a closed one, to staff previewing it."""
    if kind not in RECALL_PICTURES:
        raise Http404
    model, field = RECALL_PICTURES[kind]
    owner = get_object_or_404(model.objects.select_related("recall"), pk=pk)
    picture = getattr(owner, field)
    is_open = owner.recall.is_open
    if not picture or not (is_open or _may_preview(request)):
        raise Http404
    response = FileResponse(picture.open("rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600" if is_open else "private, no-store"
    return response


@never_cache
def recall_preview(request, slug):
    """The recall's page and claim form as consumers will see them, even before the recall is
    open: for staff who edit recalls (the admin links here); never indexed."""
    if not _may_preview(request):
        raise Http404
    recall = get_object_or_404(Recall.objects.prefetch_related("products"), slug=slug)
    if request.GET.get("page") == "claim":
        template, form = "consumer/claim_form.html", ClaimForm(recall=recall)
    else:
        template, form = "consumer/recall_detail.html", SerialCheckForm(recall=recall)
    response = render(request, template, {"recall": recall, "form": form, "preview": True})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
