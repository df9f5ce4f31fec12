"""The server-drawn SVG charts: pure functions, checked on their markup."""

import re

from recallcases.reports.charts import Series, bar_chart, line_chart


def test_bar_chart_escapes_labels_and_names_itself():
    # given: a label that would be markup
    chart = bar_chart(
        chart_id="chart-test",
        title="Claims <by> status",
        description="Submitted: 3 & more",
        categories=['<script>alert("x")</script>', "Verified"],
        series=[Series("Claims", [3, 1])],
    )
    # then: it is text, and the chart carries its title and description for screen readers
    assert "<script>" not in chart
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in chart
    assert '<title id="chart-test-title">Claims &lt;by&gt; status</title>' in chart
    assert '<desc id="chart-test-desc">Submitted: 3 &amp; more</desc>' in chart
    assert 'aria-labelledby="chart-test-title chart-test-desc"' in chart
    assert 'role="img"' in chart


def test_charts_use_presentation_attributes_never_style():
    bar = bar_chart(
        chart_id="a",
        title="t",
        description="d",
        categories=["one"],
        series=[Series("Claims", [2]), Series("Remedied", [1], "#198754")],
    )
    line = line_chart(chart_id="b", title="t", description="d", points=[("W1", 0.1), ("W2", 0.3)])
    for chart in (bar, line):
        assert "style" not in chart
        assert "fill=" in chart
        assert "http://" not in chart.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_bars_share_one_scale_from_zero():
    chart = bar_chart(
        chart_id="c",
        title="t",
        description="d",
        categories=["big", "half", "none"],
        series=[Series("Claims", [10, 5, 0])],
    )
    widths = [float(w) for w in re.findall(r'<rect x="8" y="[\d.]+" width="([\d.]+)"', chart)]
    assert widths[0] == 2 * widths[1]
    assert widths[2] == 0


def test_two_series_get_a_legend():
    chart = bar_chart(
        chart_id="d",
        title="t",
        description="d",
        categories=["A3102"],
        series=[Series("Claims", [4]), Series("Remedied", [3], "#198754")],
    )
    assert ">Claims</text>" in chart and ">Remedied</text>" in chart
    assert "<title>Remedied: 3</title>" in chart


def test_line_chart_axis_reads_in_round_steps_up_to_the_largest_value():
    chart = line_chart(
        chart_id="e",
        title="t",
        description="d",
        points=[("2025-W01", 0.0), ("2025-W02", 0.1), ("2025-W03", 0.4)],
        value_format=lambda value: f"{value:.2f}%",
    )
    ticks = re.findall(r'text-anchor="end" fill="#6c757d"[^>]*>([\d.]+%)</text>', chart)
    assert ticks == ["0.00%", "0.10%", "0.20%", "0.30%", "0.40%"]
    # and: each point says its week and value
    assert "<title>2025-W03: 0.40%</title>" in chart


def test_line_chart_labels_about_eight_weeks_and_always_the_last():
    points = [(f"W{n:03d}", n / 100) for n in range(104)]
    chart = line_chart(chart_id="f", title="t", description="d", points=points)
    labels = re.findall(
        r'font-size="11"[^>]*text-anchor="(?:middle|end)"[^>]*>(W\d+)</text>', chart
    )
    assert 6 <= len(labels) <= 9
    assert labels[0] == "W000" and labels[-1] == "W103"


def test_line_chart_of_nothing_yet_still_draws():
    chart = line_chart(chart_id="g", title="t", description="d", points=[("2025-W01", 0.0)])
    assert "<polyline" in chart and "<title>2025-W01: 0</title>" in chart
