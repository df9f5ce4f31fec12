"""The public pages' forms as HTML, rendered once and kept: they are the same for every visitor
but for the serial a visitor typed.

crispy-forms renders a form through a template per field (the claim form's state list, one per
option): three quarters of the claim form page's time, a fifth of the recall page's (ADR 0010).
The HTML is rendered once per key (for a recall's forms: its copy, `Recall.page_version`, see
recalls.selectors.recall_open_by_slug, and the form's shape) and language, with a mark where the
visitor's serial goes; each request puts its serial, escaped as the template would have, in place
of the mark. It is kept in this process's memory,
never in the shared cache: a new release starts new processes, so it never serves HTML that an
older release rendered.
"""

from collections.abc import Callable

from crispy_forms.utils import render_crispy_form
from django import forms
from django.core.cache.backends.locmem import LocMemCache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# A character of Unicode's private use area around a word: no field's label or help has it.
SERIAL_MARK = "\ue000serial\ue000"
FORM_HTML_SECONDS = 3600
_RENDERED = LocMemCache(
    "recallcases-form-html", {"TIMEOUT": FORM_HTML_SECONDS, "OPTIONS": {"MAX_ENTRIES": 2000}}
)


def recall_form_key(recall, shape: str) -> str | None:
    """The key of a form that depends on `recall` (and on `shape`): None for a recall not read
    through the cache (no `page_version`), whose form is then rendered each time."""
    version = getattr(recall, "page_version", None)
    return None if version is None else f"{recall.pk}:{version}:{shape}"


def form_html(
    build: Callable[[str | None], forms.Form],
    *,
    key: str | None,
    serial: str | None = None,
) -> SafeString:
    """The HTML of `build(serial)`, with `serial` in its serial field when one is given.

    `build` makes the form from a serial (or None); `key` names everything else its HTML depends
    on but the language (see `recall_form_key`); with no key the form is rendered each time.
    """
    if key is None:
        return _render(build(serial))
    full_key = f"form:{get_language()}:{key}:{serial is not None}"
    html = _RENDERED.get(full_key)
    if html is None:
        html = str(_render(build(SERIAL_MARK if serial is not None else None)))
        _RENDERED.set(full_key, html)
    if serial is not None:
        html = marks_filled(html, {SERIAL_MARK: serial})
    return mark_safe(html)  # noqa: S308 (rendered by crispy; the serial escaped by marks_filled)


def marks_filled(html: str, values: dict[str, str]) -> str:
    """`html` rendered with marks, each mark replaced by its value escaped as the template would
    have escaped it (consumer.page_cache fills its pages the same way)."""
    for mark, value in values.items():
        html = html.replace(mark, escape(value))
    return html


def _render(form: forms.Form) -> SafeString:
    # A recall's form shows the recall's pictures (the claim form's label pictures): its layout
    # reads `recall` as the page's template would give it.
    recall = getattr(form, "recall", None)
    return render_crispy_form(form, context={"recall": recall} if recall is not None else None)
