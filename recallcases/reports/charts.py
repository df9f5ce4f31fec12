"""Charts drawn on the server as SVG: pure functions from numbers and labels to markup.

Nothing is loaded from elsewhere and nothing runs in the browser. The Content Security Policy
forbids inline styles, so shapes are coloured with presentation attributes (fill=, stroke=), never
style=. Every label is escaped before the markup is marked safe. Each chart has a <title> and a
<desc> for screen readers; the pages put a table of the same numbers beside it.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Bootstrap's colours, so the charts sit with the rest of the workspace.
PRIMARY = "#0d6efd"
SUCCESS = "#198754"
TEXT = "#212529"
MUTED = "#6c757d"
GRID = "#dee2e6"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

WIDTH = 640


@dataclass(frozen=True)
class Series:
    """One set of bars: a name for the legend, a value per category, a colour."""

    name: str
    values: Sequence[float]
    colour: str = PRIMARY


def _n(value: float) -> str:
    """A coordinate, written the same whatever the language of the page."""
    return f"{value:.1f}".removesuffix(".0")


def _text(x, y, content, *, size=12, anchor="start", fill=TEXT, weight="normal") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" font-family="{escape(FONT)}" '
        f'text-anchor="{anchor}" fill="{fill}" font-weight="{weight}">{escape(content)}</text>'
    )


def _svg(*, chart_id: str, title: str, description: str, height: float, body: list[str]) -> str:
    chart_id = escape(chart_id)
    return mark_safe(  # noqa: S308 - every label above went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'width="100%" role="img" class="chart" id="{chart_id}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_format: Callable[[float], str] = lambda value: f"{value:,.0f}",
) -> SafeString:
    """Horizontal bars: each category's label on a line, then one bar per series beneath it.

    Labels sit above their bars, so long product names need no truncating; a legend names the
    series when there are several. Bars share one scale, from zero to the largest value.
    """
    bar, gap, label_height, left, right = 16, 4, 18, 8, 72
    legend = 24 if len(series) > 1 else 0
    top = 8 + legend
    largest = max((value for s in series for value in s.values), default=0) or 1
    scale = (WIDTH - left - right) / largest
    body: list[str] = []
    if legend:
        x = left
        for s in series:
            body.append(
                f'<rect x="{_n(x)}" y="8" width="12" height="12" fill="{escape(s.colour)}"/>'
            )
            body.append(_text(x + 16, 18, s.name, fill=TEXT))
            x += 28 + 7 * len(s.name)
    y = top
    for index, category in enumerate(categories):
        body.append(_text(left, y + 13, category, weight="600"))
        y += label_height
        for s in series:
            value = s.values[index]
            width = value * scale
            body.append(
                f'<rect x="{left}" y="{_n(y)}" width="{_n(width)}" height="{bar}" '
                f'fill="{escape(s.colour)}"><title>{escape(f"{s.name}: {value_format(value)}")}'
                "</title></rect>"
            )
            body.append(_text(left + width + 6, y + 12, value_format(value), fill=MUTED))
            y += bar + gap
        y += 8
    return _svg(chart_id=chart_id, title=title, description=description, height=y + 4, body=body)


def _nice_step(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value`: a grid step that reads well."""
    if value <= 0:
        return 0.25
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value * (1 - 1e-9))


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[tuple[str, float]],
    value_format: Callable[[float], str] = lambda value: f"{value:g}",
    ticks: int = 4,
) -> SafeString:
    """A line through (label, value) points, evenly spaced, with a shaded area beneath.

    The vertical axis runs from zero in `ticks` round steps (1, 2 or 5 × 10ⁿ) to at or above the
    largest value; about eight labels are written along the bottom, the last always.
    """
    left, right, top, bottom, height = 64, 16, 12, 36, 260
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    ceiling = ticks * _nice_step(max((value for _label, value in points), default=0) / ticks)
    body: list[str] = []
    for tick in range(ticks + 1):
        value = ceiling * tick / ticks
        y = top + plot_height - plot_height * tick / ticks
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, value_format(value), size=11, anchor="end", fill=MUTED))
    if points:
        step = plot_width / max(len(points) - 1, 1)
        coordinates = [
            (left + i * step, top + plot_height - plot_height * value / ceiling)
            for i, (_label, value) in enumerate(points)
        ]
        line = " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates)
        baseline = top + plot_height
        area = (
            f"{_n(coordinates[0][0])},{_n(baseline)} {line} {_n(coordinates[-1][0])},{_n(baseline)}"
        )
        body.append(f'<polygon points="{area}" fill="{PRIMARY}" fill-opacity="0.12"/>')
        body.append(
            f'<polyline points="{line}" fill="none" stroke="{PRIMARY}" stroke-width="2" '
            'stroke-linejoin="round"/>'
        )
        every = max(1, math.ceil(len(points) / 8))
        for i, ((label, value), (x, y)) in enumerate(zip(points, coordinates, strict=True)):
            body.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.5" fill="{PRIMARY}">'
                f"<title>{escape(f'{label}: {value_format(value)}')}</title></circle>"
            )
            last = i == len(points) - 1
            if (i % every == 0 and len(points) - 1 - i >= every) or last:
                # The last label ends at its point: centred, it would run off the chart.
                anchor = "end" if last and len(points) > 1 else "middle"
                body.append(
                    _text(x, height - bottom + 18, label, size=11, anchor=anchor, fill=MUTED)
                )
    body.append(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_height}" '
        f'y2="{top + plot_height}" stroke="{MUTED}" stroke-width="1"/>'
    )
    return _svg(chart_id=chart_id, title=title, description=description, height=height, body=body)
