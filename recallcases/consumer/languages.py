"""The language of a consumer page: the same page in another language, for the language switch
and for a recall's page asked for in a language the recall is not offered in."""

from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import translation


def same_page_in(request, code: str) -> str:
    """This page's address in language `code`, built by reverse() from the resolved URL; the home
    page when the address resolves to no page (a 404), so that nothing the visitor typed in the
    path (`//evil.example/`) ends up in a link."""
    # The match Django made of this request, if it made one: resolving the path again for each
    # language was a twentieth of the status page's time (ADR 0010).
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
    query = request.META.get("QUERY_STRING", "")
    with translation.override(code):
        if match is not None:
            try:
                url = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                pass
            else:
                return f"{url}?{query}" if query else url
        return reverse("consumer:home")
