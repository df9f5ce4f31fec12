"""Shipping addresses in the United States and Canada: regions and postal codes (pure)."""

import re
import string

from django.utils.translation import gettext_lazy as _

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("PR", "Puerto Rico"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip

CANADIAN_PROVINCES = [
    ("AB", _("Alberta")),
    ("BC", _("British Columbia")),
    ("MB", _("Manitoba")),
    ("NB", _("New Brunswick")),
    ("NL", _("Newfoundland and Labrador")),
    ("NS", _("Nova Scotia")),
    ("NT", _("Northwest Territories")),
    ("NU", _("Nunavut")),
    ("ON", _("Ontario")),
    ("PE", _("Prince Edward Island")),
    ("QC", _("Quebec")),
    ("SK", _("Saskatchewan")),
    ("YT", _("Yukon")),
]

REGIONS = {"US": dict(US_STATES), "CA": dict(CANADIAN_PROVINCES)}


def region_choices(countries=("US", "CA")):
    """States and provinces grouped by country, for a select field: those of `countries` only."""
    groups = {"US": (_("United States"), US_STATES), "CA": (_("Canada"), CANADIAN_PROVINCES)}
    return [("", _("Choose…"))] + [groups[code] for code in countries if code in groups]


# Digits are 0 to 9 only (re.ASCII): other scripts' digits (٠١٢, ०१२ ...) are no ZIP code.
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$", re.ASCII)
# Canadian postal codes never use D, F, I, O, Q or U, nor W or Z in first position.
_POSTAL_CODE = re.compile(
    r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(\d[ABCEGHJ-NPRSTV-Z]\d)$", re.ASCII
)
# The first letter of a postal code names the province or territory it belongs to.
_POSTAL_DISTRICTS = {
    "A": {"NL"}, "B": {"NS"}, "C": {"PE"}, "E": {"NB"}, "G": {"QC"}, "H": {"QC"}, "J": {"QC"},
    "K": {"ON"}, "L": {"ON"}, "M": {"ON"}, "N": {"ON"}, "P": {"ON"}, "R": {"MB"}, "S": {"SK"},
    "T": {"AB"}, "V": {"BC"}, "X": {"NT", "NU"}, "Y": {"YT"},
}  # fmt: skip
# Upper case for ASCII letters only: str.upper() turns ſ into S, and ſ1A 0B1 was a postal code.
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


class AddressError(ValueError):
    """An address field that is not right; the message is fit to show the consumer."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def normalise_postal_code(*, country: str, raw: str, region: str = "") -> str:
    """Return the postal code in its standard form (12345, 12345-6789, K1A 0B1) or raise."""
    compact = re.sub(r"\s+", "", raw or "").translate(_ASCII_UPPER)
    if country == "US":
        match = _ZIP.match(compact)
        if not match:
            raise AddressError(_("Enter a ZIP code of 5 digits, or 5+4 digits (12345-6789)."))
        return "-".join(part for part in match.groups() if part)
    if country == "CA":
        match = _POSTAL_CODE.match(compact)
        if not match:
            raise AddressError(_("Enter a Canadian postal code such as K1A 0B1."))
        if region and region not in _POSTAL_DISTRICTS.get(compact[0], set()):
            raise AddressError(_("This postal code is not in the province you chose."))
        return f"{match.group(1)} {match.group(2)}"
    raise AddressError(_("We ship replacements to the United States and Canada only."))


def address_key(*, line1: str, line2: str, postal_code: str, country: str) -> str:
    """The address reduced for comparison: case, spaces and punctuation do not count."""
    text = f"{country} {postal_code} {line1} {line2}".lower()
    return re.sub(r"[^0-9a-z]+", "", text)[:200]
