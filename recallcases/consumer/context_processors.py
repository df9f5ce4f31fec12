from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def language_links(request):
    """Links to this same page in the other languages, for the language switch."""
    current = get_language()
    return {
        "language_links": [
            {"code": code, "name": name, "url": translate_url(request.get_full_path(), code)}
            for code, name in settings.LANGUAGES
            if code != current
        ]
    }
