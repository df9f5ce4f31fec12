from django.conf import settings
from django.utils.translation import get_language

from recallcases.claims.models import Language
from recallcases.consumer.languages import same_page_in

# Each language in its own words, as the switch shows it (English, Français, Español).
OWN_NAMES = dict(Language.choices)


def language_links(request):
    """Links to this same page in the other languages, for the language switch. A recall's pages
    show only the languages the recall is offered in (base.html reads `recall.languages`)."""
    current = get_language()
    return {
        "language_links": [
            {
                "code": code,
                "name": name,
                "own_name": OWN_NAMES.get(code, name),
                "url": same_page_in(request, code),
            }
            for code, name in settings.LANGUAGES
            if code != current
        ]
    }
