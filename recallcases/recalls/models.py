"""Recalls, their products and their serial registries. This app knows nothing of claims."""

import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from recallcases.core.photo_pipeline import MAX_PHOTOS_PER_FORM

# Pictures of recalls (where a product's label is, what a proof photo should look like) are public
# content: stored re-encoded (the photo pipeline) under this prefix of the default storage and
# served by the consumer's recall picture view, never from MEDIA_URL (claim photos share the
# storage and must not be public).
RECALL_PICTURES_PREFIX = "recall-pictures/"
# The most photos a claim form asks for: the public request body limit leaves room for this many
# photos of the largest size the photo pipeline takes (settings.REQUEST_BODY_MAX_BYTES).
PROOF_ITEMS_MAX = MAX_PHOTOS_PER_FORM


class Remedy(models.TextChoices):
    """What a consumer can get for a recalled unit."""

    REPLACEMENT = "replacement", _("Free replacement")
    REFUND = "refund", _("Refund")
    GIFT_CARD = "gift_card", _("Gift card")
    VOUCHER = "voucher", _("Voucher")
    REPAIR_KIT = "repair_kit", _("Repair kit")


class Issue(models.TextChoices):
    """How a remedy reaches the consumer once approved: each remedy's branch of the claim's life."""

    SHIPMENT = "shipment", "Shipped with a tracking number"
    CODE = "code", "A code from the recall's pool, sent by email"
    PAYMENT = "payment", "Paid; confirmed by the payment import"


# remedy → how it is issued (claims/services: claim_ship, gift card codes, refund payments).
ISSUED_BY = {
    Remedy.REPLACEMENT: Issue.SHIPMENT,
    Remedy.REPAIR_KIT: Issue.SHIPMENT,
    Remedy.GIFT_CARD: Issue.CODE,
    Remedy.VOUCHER: Issue.CODE,
    Remedy.REFUND: Issue.PAYMENT,
}


@dataclass(frozen=True)
class RemedyOffer:
    """One remedy a recall offers: an item of `Recall.remedies` (docs/recall-file.md)."""

    remedy: str
    label_en: str = ""
    label_fr: str = ""
    label_es: str = ""
    # The amount as a decimal text ("30.00"), and its ISO 4217 currency; "" where none applies.
    value: str = ""
    currency: str = ""
    # Codes left in the pool at or under which the recall's managers are warned (gift card,
    # voucher); 0 warns only when the pool is empty.
    pool_low_at: int = 0

    @classmethod
    def from_data(cls, item) -> "RemedyOffer":
        """An offer as the recall's data holds it: an object, or only its remedy's code."""
        if isinstance(item, str):
            return cls(remedy=item)
        return cls(**item)

    @property
    def label(self) -> str:
        """What the consumer reads, in the active language."""
        suffix = language_suffix(get_language())
        text = getattr(self, f"label_{suffix}", "") if suffix != "en" else ""
        return text or self.label_en or str(Remedy(self.remedy).label)

    @property
    def amount(self) -> Decimal | None:
        return Decimal(self.value) if self.value else None

    @property
    def issued_by(self) -> str:
        return ISSUED_BY[Remedy(self.remedy)]


class Country(models.TextChoices):
    US = "US", _("United States")
    CA = "CA", _("Canada")


class OrderNumberField(models.TextChoices):
    """Whether the claim form asks for the order number of the purchase."""

    ABSENT = "absent", "No order number field"
    OPTIONAL = "optional", "Optional"
    REQUIRED = "required", "Required"


class FrenchGender(models.TextChoices):
    """The grammatical gender of the product noun in French (ce haut-parleur, cette batterie)."""

    MASCULINE = "m", "Masculine"
    FEMININE = "f", "Feminine"


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(f"Not a regular expression: {error}") from None


def language_suffix(code: str | None) -> str:
    """The column suffix of a language code: "fr" for fr-ca, "es" for es-us, "en" for en."""
    return (code or "en").lower().split("-")[0]


class BilingualText:
    """Reads the column of a field in the active language (`_en`, `_fr`, `_es`), else English.

    Each language the site offers (settings.LANGUAGES) is a column per text, named by the
    language's suffix; English is the fallback of every text left empty.
    """

    def localized(self, field: str) -> str:
        suffix = language_suffix(get_language())
        text = getattr(self, f"{field}_{suffix}", "") if suffix != "en" else ""
        return text or getattr(self, f"{field}_en")


def default_languages() -> list[str]:
    """The languages of a recall whose file names none: English and French (Canada)."""
    return ["en", "fr-ca"]


# Carriers' tracking pages, {tracking} the tracking number (URL-encoded): a recall file's
# `tracking_urls` replaces them (and names the carriers staff choose from).
DEFAULT_TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={tracking}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={tracking}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={tracking}",
    "Canada Post": "https://www.canadapost-postescanada.ca/track-reperage/en#/details/{tracking}",
    "Purolator": "https://www.purolator.com/en/shipping/tracker?pin={tracking}",
    "DHL": "https://www.dhl.com/en/express/tracking.html?AWB={tracking}",
}


def default_tracking_urls() -> dict[str, str]:
    return dict(DEFAULT_TRACKING_URLS)


class RecallQuerySet(models.QuerySet):
    def open_to_claims(self):
        return self.filter(is_open=True)


class Recall(BilingualText, models.Model):
    """One recall campaign: its products, serial registry, remedy, instructions and regulators."""

    slug = models.SlugField(unique=True, help_text="Part of the recall's public address.")
    title_en = models.CharField(max_length=200)
    title_fr = models.CharField(max_length=200, blank=True)
    title_es = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, help_text="Importer or manufacturer.")
    announced_on = models.DateField()
    is_open = models.BooleanField(
        default=True, help_text="Whether consumers can check serials and file claims."
    )
    units_affected = models.PositiveIntegerField(help_text="Units affected, all countries.")
    units_affected_canada = models.PositiveIntegerField(default=0)
    countries = models.JSONField(default=list, help_text='Where it was sold, e.g. ["US", "CA"].')
    remedies = models.JSONField(
        default=list,
        help_text='Remedies offered: objects {"remedy", "label_en", "label_fr", "label_es", '
        '"value", "currency", "pool_low_at"} or only the remedy\'s code, e.g. ["replacement"].',
    )
    languages = models.JSONField(
        default=default_languages,
        help_text="The languages its pages, emails and texts are offered in, the first the one "
        'a page in another language falls back to, e.g. ["en", "es-us"] (codes of '
        "settings.LANGUAGES).",
    )
    sold_at_en = models.TextField(blank=True)
    sold_at_fr = models.TextField(blank=True)
    sold_at_es = models.TextField(blank=True)
    hazard_en = models.TextField()
    hazard_fr = models.TextField(blank=True)
    hazard_es = models.TextField(blank=True)
    incidents_en = models.TextField(blank=True, help_text="Incidents reported at announcement.")
    incidents_fr = models.TextField(blank=True)
    incidents_es = models.TextField(blank=True)
    remedy_en = models.TextField(help_text="The remedy in plain language.")
    remedy_fr = models.TextField(blank=True)
    remedy_es = models.TextField(blank=True)
    what_to_do_en = models.TextField(help_text="What the consumer must do now, one step a line.")
    what_to_do_fr = models.TextField(blank=True)
    what_to_do_es = models.TextField(blank=True)
    disposal_en = models.TextField(help_text="How to dispose of the recalled unit safely.")
    disposal_fr = models.TextField(blank=True)
    disposal_es = models.TextField(blank=True)
    serial_location_en = models.TextField(help_text="Where the serial number is on the unit.")
    serial_location_fr = models.TextField(blank=True)
    serial_location_es = models.TextField(blank=True)
    # The words a consumer reads: neutral defaults; each recall's file names its own product.
    product_noun_en = models.CharField(
        max_length=60, default="product", help_text='What the unit is called, e.g. "speaker".'
    )
    product_noun_plural_en = models.CharField(max_length=60, default="products")
    product_noun_fr = models.CharField(max_length=60, default="produit")
    product_noun_es = models.CharField(max_length=60, default="producto")
    product_noun_plural_fr = models.CharField(max_length=60, default="produits")
    product_noun_plural_es = models.CharField(max_length=60, default="productos")
    product_gender_fr = models.CharField(
        max_length=1,
        choices=FrenchGender.choices,
        default=FrenchGender.MASCULINE,
        help_text="Gender of the French noun: « ce haut-parleur » or « cette batterie externe ».",
    )
    serial_where_en = models.CharField(
        max_length=200,
        blank=True,
        help_text='Where the serial is, to end "16 characters, ___", e.g. "on the underside of '
        'the speaker after “SN”".',
    )
    serial_where_fr = models.CharField(max_length=200, blank=True)
    serial_where_es = models.CharField(max_length=200, blank=True)
    serial_example = models.CharField(
        max_length=40, blank=True, help_text="A made-up serial of the right shape, shown as help."
    )
    order_number = models.CharField(
        max_length=10,
        choices=OrderNumberField.choices,
        default=OrderNumberField.ABSENT,
        help_text="Whether the claim form asks for the order number, and if it must be given.",
    )
    order_number_label_en = models.CharField(
        max_length=100, blank=True, help_text='e.g. "Amazon order number".'
    )
    order_number_label_fr = models.CharField(max_length=100, blank=True)
    order_number_label_es = models.CharField(max_length=100, blank=True)
    order_number_help_en = models.CharField(
        max_length=200, blank=True, help_text="Where the consumer finds it."
    )
    order_number_help_fr = models.CharField(max_length=200, blank=True)
    order_number_help_es = models.CharField(max_length=200, blank=True)
    order_number_pattern = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_regex],
        help_text=r"A regular expression an order number must match whole, e.g. \d{3}-\d{7}.",
    )
    order_number_example = models.CharField(max_length=40, blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    support_hours_en = models.CharField(max_length=200, blank=True)
    support_hours_fr = models.CharField(max_length=200, blank=True)
    support_hours_es = models.CharField(max_length=200, blank=True)
    support_email = models.EmailField(blank=True)
    safety_contact_email = models.EmailField(
        blank=True,
        help_text="Who is emailed at once when a consumer reports a fire or an injury (the "
        "company's product safety contact). Never shown to consumers.",
    )
    disposal_before_shipping = models.BooleanField(
        default=False,
        help_text="Whether proof of disposal must be accepted before the remedy ships "
        "(default: after).",
    )
    information_reminder_days = models.PositiveSmallIntegerField(
        default=7, help_text="Remind a consumer asked for information after this many days."
    )
    disposal_reminder_days = models.PositiveSmallIntegerField(
        default=14, help_text="Remind a consumer to send proof of disposal after this many days."
    )
    # The retention schedule (docs/retention.md), in months; `retention_apply` runs it daily.
    claim_retention_months = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1)],
        help_text="Months a claim's personal details (name, email, phone, street address, city, "
        "postal code, order number, purchase date, notes) are kept after the claim ended "
        "(closed, rejected or withdrawn). Then they are removed; the claim, its serial and its "
        "history stay for the regulators' figures. The privacy notice promises 72 (six years).",
    )
    claim_photo_retention_months = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1)],
        help_text="Months a claim's photos (serial label, proof of disposal) are kept after the "
        "claim ended; then the files are deleted.",
    )
    purchaser_retention_months = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1)],
        help_text="Months a known purchaser's name, email and order number are kept, counted "
        "from the recall's announcement or from the purchaser's import, whichever is later.",
    )
    email_retention_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1)],
        help_text="Months an email's recipient address and error text are kept after it was "
        "sent (or failed for good); the row stays, as the record that it was sent.",
    )
    incident_retention_months = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1)],
        help_text="Months an incident reporter's name, email and phone, their description and "
        "photo and the staff's notes are kept after the company learned of the incident; what "
        "happened, when and where stays for the regulators' figures.",
    )
    promised_business_days = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the program promises the consumer: business days from filing to a step, "
        'e.g. {"verified": 5, "replacement_shipped": 10}.',
    )
    tracking_urls = models.JSONField(
        default=default_tracking_urls,
        blank=True,
        help_text="Each carrier's tracking page, {tracking} the tracking number, e.g. "
        '{"UPS": "https://www.ups.com/track?tracknum={tracking}"}.',
    )
    regulator_references = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"CPSC": "25-XXX", "Health Canada": "RA-XXXXX"}'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RecallQuerySet.as_manager()

    class Meta:
        ordering = ["-announced_on", "slug"]

    def __str__(self):
        return self.title_en

    def clean(self):
        # The admin edits `remedies` as JSON: the recall file's checks of its offers hold there too.
        from recallcases.recalls.recall_file import remedy_offers_errors  # it imports this module

        if errors := remedy_offers_errors(self.remedies):
            raise ValidationError({"remedies": errors})

    # The texts in the active language, for templates.
    title = property(lambda self: self.localized("title"))
    sold_at = property(lambda self: self.localized("sold_at"))
    hazard = property(lambda self: self.localized("hazard"))
    # Not `incidents`: that name is the reverse relation of incidents.Incident.recall, which
    # would hide it (every recall page printed "incidents.Incident.None").
    incidents_summary = property(lambda self: self.localized("incidents"))
    remedy = property(lambda self: self.localized("remedy"))
    disposal = property(lambda self: self.localized("disposal"))
    serial_location = property(lambda self: self.localized("serial_location"))
    support_hours = property(lambda self: self.localized("support_hours"))
    product_noun = property(lambda self: self.localized("product_noun"))
    product_noun_plural = property(lambda self: self.localized("product_noun_plural"))
    serial_where = property(lambda self: self.localized("serial_where"))
    order_number_label = property(lambda self: self.localized("order_number_label"))
    order_number_help = property(lambda self: self.localized("order_number_help"))

    def offers_language(self, code: str | None) -> bool:
        """Whether the recall's pages and messages are offered in language `code`."""
        return (code or "").lower() in self.languages

    @property
    def fallback_language(self) -> str:
        """The language a page asked for in a language the recall does not offer is shown in."""
        return self.languages[0] if self.languages else "en"

    def tracking_url(self, *, carrier: str, tracking_number: str) -> str:
        """The carrier's own tracking page of a shipment, or "" for a carrier the recall has none
        for. The number is URL-encoded: it came from a person or a file."""
        template = (self.tracking_urls or {}).get(carrier, "")
        return template.replace("{tracking}", quote(tracking_number, safe="")) if template else ""

    @property
    def remedy_offers(self) -> list[RemedyOffer]:
        """The remedies offered, in the recall file's order."""
        return [RemedyOffer.from_data(item) for item in self.remedies]

    @property
    def offered_remedies(self) -> list[str]:
        """The codes of the remedies offered, e.g. ["replacement", "gift_card"]."""
        return [offer.remedy for offer in self.remedy_offers]

    def remedy_offer(self, remedy: str) -> RemedyOffer:
        """The offer of `remedy`; its bare defaults when the recall does not offer it (any more)."""
        for offer in self.remedy_offers:
            if offer.remedy == remedy:
                return offer
        return RemedyOffer(remedy=remedy)

    @property
    def replacement_only(self) -> bool:
        """Whether the only remedy offered is a replacement (the consumer pages say so)."""
        return self.offered_remedies in ([], [Remedy.REPLACEMENT.value])

    @property
    def first_remedy(self) -> str:
        """The remedy of a claim whose consumer chose none (the recall offers one)."""
        return (self.offered_remedies or [Remedy.REPLACEMENT.value])[0]

    @property
    def served_countries(self) -> list[str]:
        """The countries the recall serves (every known one if its data names none)."""
        return [code for code in Country.values if code in self.countries] or list(Country.values)

    def country_choices(self) -> list[tuple[str, str]]:
        """The served countries, for a select field."""
        return [(code, label) for code, label in Country.choices if code in self.served_countries]

    @property
    def is_feminine_fr(self) -> bool:
        return self.product_gender_fr == FrenchGender.FEMININE

    @property
    def serial_lengths(self) -> str:
        """The lengths of this recall's serials, e.g. "16" or "14/16"."""
        lengths = sorted({product.serial_length for product in self.products.all()})
        return "/".join(str(length) for length in lengths)

    def order_number_matches(self, order_number: str) -> bool:
        """Whether `order_number` has the recall's shape (any shape when it names none)."""
        pattern = self.order_number_pattern
        return not pattern or re.fullmatch(pattern, order_number, re.ASCII) is not None

    @property
    def what_to_do(self) -> list[str]:
        """What the consumer must do now, one step an item."""
        return [line.strip() for line in self.localized("what_to_do").splitlines() if line.strip()]


class Product(BilingualText, models.Model):
    """A recalled product: one model with its model numbers and the shape of its serials."""

    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="products")
    name_en = models.CharField(max_length=200)
    name_fr = models.CharField(max_length=200, blank=True)
    name_es = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=40, help_text="e.g. A3102")
    model_numbers = models.JSONField(default=list, help_text='e.g. ["A3102016"]')
    serial_length = models.PositiveSmallIntegerField(
        default=16, help_text="A serial of another length is not affected."
    )
    serial_excluded_letters = models.CharField(
        max_length=10,
        blank=True,
        default="OI",
        help_text="Letters never used in serials; O and I are read as 0 and 1.",
    )
    label_picture = models.ImageField(
        upload_to=RECALL_PICTURES_PREFIX,
        blank=True,
        help_text="A picture of where the serial label is on the product, shown on the serial "
        "check and the claim form (public).",
    )
    label_picture_alt_en = models.CharField(
        max_length=200,
        blank=True,
        help_text='What the picture shows, for those who cannot see it, e.g. "The underside of '
        'the speaker, with the label after SN".',
    )
    label_picture_alt_fr = models.CharField(max_length=200, blank=True)
    label_picture_alt_es = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["recall", "model"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "model"], name="unique_model_per_recall"),
            # What the registry's one foreign key refers to (see RegistryEntry).
            models.UniqueConstraint(fields=["id", "recall"], name="product_in_recall"),
        ]

    def __str__(self):
        return f"{self.name_en} ({self.model})"

    name = property(lambda self: self.localized("name"))
    label_picture_alt = property(lambda self: self.localized("label_picture_alt"))


class ProofItem(BilingualText, models.Model):
    """One photo a claim needs (or may have): its label, instruction and example picture.

    A recall lists them in order; the claim form asks for each in its own upload field. A recall
    that lists none asks for one photo of the serial number label (claims.PhotoKind.SERIAL_LABEL).
    """

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="proof_items")
    code = models.SlugField(
        max_length=30,
        help_text='Names the photo in the recall file and the claim form, e.g. "serial_label".',
    )
    label_en = models.CharField(max_length=100, help_text='e.g. "Photo of the serial label".')
    label_fr = models.CharField(max_length=100, blank=True)
    label_es = models.CharField(max_length=100, blank=True)
    instruction_en = models.TextField(
        blank=True, help_text="What the photo must show, under its upload field."
    )
    instruction_fr = models.TextField(blank=True)
    instruction_es = models.TextField(blank=True)
    example_picture = models.ImageField(
        upload_to=RECALL_PICTURES_PREFIX,
        blank=True,
        help_text="An example of a good photo, shown beside the upload field (public).",
    )
    required = models.BooleanField(default=True, help_text="Whether a claim must have it.")
    seen_before_verify = models.BooleanField(
        default=False,
        help_text="Whether a reviewer must open this photo before verifying the claim.",
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Position on the claim form.")

    class Meta:
        ordering = ["recall", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "code"], name="unique_proof_code_per_recall")
        ]

    def __str__(self):
        return f"{self.label_en} ({self.code})"

    label = property(lambda self: self.localized("label"))
    instruction = property(lambda self: self.localized("instruction"))

    @property
    def field_name(self) -> str:
        """The claim form's field of this photo: "photo" for the serial label (the one photo
        every claim form asked for before recalls listed their own), else "photo_<code>"."""
        return "photo" if self.code == "serial_label" else f"photo_{self.code}"


class RegistryEntry(models.Model):
    """Serials in scope of a recall: one serial, or a range whose serials differ in their digits.

    A serial splits into a prefix (up to its trailing digits) and a number (the trailing digits):
    ACCJRU1D16400841 is prefix ACCJRU1D, number 16400841 over 8 digits. A range is stored as its
    prefix and first and last number, so a lookup is one indexed query, whatever the registry size.
    """

    # One foreign key in the database, (product, recall) to the product's (id, recall), instead of
    # one per column: it says as much (the product's recall exists: its own key says so) and more
    # (the product is one of the entry's recall), and PostgreSQL checks it once per entry instead
    # of twice (a million-serial import spent half its time on those checks; migration 0011,
    # docs/adr/0006-one-csv-reader.md). On SQLite there is none. The recall needs no index of its
    # own: `registry_lookup` starts with it.
    recall = models.ForeignKey(
        Recall,
        on_delete=models.CASCADE,
        related_name="registry",
        db_constraint=False,
        db_index=False,
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="registry", db_constraint=False
    )
    prefix = models.CharField(max_length=40)
    digits = models.PositiveSmallIntegerField(help_text="Length of the numeric tail.")
    first_number = models.BigIntegerField()
    last_number = models.BigIntegerField()
    is_demo = models.BooleanField(default=False, help_text="Generated demo data, not real serials.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "registry entries"
        indexes = [
            models.Index(
                fields=["recall", "prefix", "digits", "first_number"], name="registry_lookup"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_number__lte=models.F("last_number")),
                name="registry_range_ordered",
            )
        ]

    def __str__(self):
        if self.first_number == self.last_number:
            return self.first_serial
        return f"{self.first_serial} – {self.last_serial}"

    def _serial(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.digits}d}" if self.digits else self.prefix

    @property
    def first_serial(self) -> str:
        return self._serial(self.first_number)

    @property
    def last_serial(self) -> str:
        return self._serial(self.last_number)

    @property
    def size(self) -> int:
        return self.last_number - self.first_number + 1
