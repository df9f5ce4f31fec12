from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import get_language


def _same_page_in(code: str, match, query: str) -> str:
    """This page's address in language `code`, built by reverse() from the resolved URL; the home
    page when the address resolves to no page (a 404), so that nothing the visitor typed in the
    path (`//evil.example/`) ends up in a link."""
    with translation.override(code):
        if match is not None:
            try:
                url = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                pass
            else:
                return f"{url}?{query}" if query else url
        return reverse("consumer:home")


def language_links(request):
    """Links to this same page in the other languages, for the language switch."""
    current = get_language()
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    query = request.META.get("QUERY_STRING", "")
    return {
        "language_links": [
            {"code": code, "name": name, "url": _same_page_in(code, match, query)}
            for code, name in settings.LANGUAGES
            if code != current
        ]
    }
