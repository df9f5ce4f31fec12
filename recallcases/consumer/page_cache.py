"""Public pages that are the same for every visitor but for a few values, rendered once and kept.

The serial check's answer is the same page for everyone who checks a serial of the same product
of the same copy of a recall (`Recall.page_version`), in the same language, with the same
verdict, but for the serial itself and the CSRF token: its template (the page around it, the
recall's texts, the label pictures, the support contact) was a third of the check's time
(ADR 0010). A page is rendered with a mark in the place of each visitor's value (the template
renders the mark as it would the value), kept in this process's memory as consumer.form_cache
keeps forms (never in the shared cache: a new release never serves an older one's HTML), and
each request puts its own values, escaped as the template would have, in place of the marks.

A page is kept only when nothing else of the visitor's is on it: not with messages waiting for
them, nor for an address with a query string (the language links repeat it).
"""

from django.contrib import messages
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.csp import CONTEXT_KEY as CSP_NONCE
from django.utils.translation import get_language

from recallcases.consumer.form_cache import marks_filled

# Characters of Unicode's private use area around a word: no text of a page has them.
CSRF_MARK = "\ue000csrf\ue000"
NONCE_MARK = "\ue000nonce\ue000"
PAGE_HTML_SECONDS = 3600
_RENDERED = LocMemCache(
    "recallcases-page-html", {"TIMEOUT": PAGE_HTML_SECONDS, "OPTIONS": {"MAX_ENTRIES": 2000}}
)


def page_response(
    request, template_name: str, context: dict, *, key: str | None, values: dict[str, str]
) -> HttpResponse:
    """`template_name` rendered with `context` for `request`, as `render` would answer.

    `context` holds marks where the visitor's own values go; `values` maps each mark to its
    value. `key` names everything else the page depends on but the language and the address
    (for a recall's page, `recall_form_key`'s name of the recall's copy, and the answer); with
    no key the page is rendered each time.
    """
    keep = (
        key is not None
        and not request.META.get("QUERY_STRING")
        and not len(messages.get_messages(request))
    )
    full_key = f"page:{get_language()}:{request.path}:{template_name}:{key}"
    html = _RENDERED.get(full_key) if keep else None
    if html is None:
        html = render_to_string(
            template_name, {**context, "csrf_token": CSRF_MARK, CSP_NONCE: NONCE_MARK}, request
        )
        if keep:
            _RENDERED.set(full_key, html)
    values = {**values, CSRF_MARK: get_token(request)}
    if NONCE_MARK in html:
        nonce = get_nonce(request)
        values[NONCE_MARK] = "" if nonce is None else str(nonce)
    return HttpResponse(marks_filled(html, values))
