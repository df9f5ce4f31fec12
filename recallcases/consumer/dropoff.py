"""Where consumers can drop off a lithium-ion battery, by country (public, free programs)."""

from django.utils.translation import gettext_lazy as _

DISPOSAL_DROPOFF = {
    "US": {
        "text": _(
            "Find a free battery drop-off near you (many hardware and electronics stores take "
            "them) with Call2Recycle, or ask your city's household hazardous-waste program."
        ),
        "url": "https://www.call2recycle.org/locator/",
    },
    "CA": {
        "text": _(
            "Find a free battery drop-off near you with Call2Recycle Canada, or ask your "
            "municipality's household hazardous-waste depot."
        ),
        "url": "https://www.call2recycle.ca/locator/",
    },
}
