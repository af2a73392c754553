"""SVG charts drawn by our own code: a rate per group as bars, incidents month by month as
lines, and one incident's timeline with its gaps.

The output is plain SVG markup with presentation attributes and classes only: the pages'
Content-Security-Policy forbids `style=` attributes, and a report must print and open offline.
Every chart is labelled for screen readers (role="img", <title>, <desc>) and every page shows
the same numbers in a table next to it, so the chart is never the only way to read them.
"""

import math
from datetime import timedelta

from markupsafe import Markup, escape

from service.domain.time import isoformat_z

# Okabe-Ito colours: told apart with any colour vision, and in greyscale print.
WITH_COLOUR = "#0072B2"
WITHOUT_COLOUR = "#D55E00"
GAP_COLOUR = "#C62828"
INK = "#222222"
GRID = "#D0D0D0"
KIND_COLOURS = {
    "bodycam": "#0072B2",
    "dashcam": "#009E73",
    "officer_phone": "#CC79A7",
    "bystander": "#E69F00",
    "surveillance": "#56B4E9",
    "media": "#7F6A00",
    "other": "#666666",
}
FONT = 'font-family="system-ui, sans-serif"'


def _num(value):
    """A coordinate, short: 12.5 rather than 12.500000001."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x, y, content, anchor="start", size=12, cls="label", fill=INK):
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}" class="{cls}">{escape(content)}</text>'
    )


def _svg(width, height, title, desc, body, cls):
    """The outer element: scales to its container's width, keeps its proportions."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" class="chart {cls}" {FONT}>'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def percent(rate):
    """0.8333 as '83%'; None (nothing to divide) as '-'."""
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _shorten(label, size=18):
    return label if len(label) <= size else label[: size - 1] + "…"


def rate_bars(rows, title, desc="", label_width=112):
    """Horizontal bars of a rate (0..1) per group: rows of (label, rate or None, detail).

    Drawn narrow (480 units) with large type, so that it still reads when a phone shrinks it.
    """
    width, row_height, top = 480, 30, 28
    bar_width = width - label_width - 48  # room for the value after a full bar
    height = top + row_height * max(len(rows), 1) + 8
    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = label_width + tick * bar_width
        body.append(
            f'<line x1="{_num(x)}" y1="{top - 6}" x2="{_num(x)}" y2="{height - 8}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(x, top - 12, percent(tick), "middle", 12, "tick"))
    if not rows:
        body.append(_text(label_width, top + 20, "no incidents match", size=14, cls="empty"))
    for n, (label, rate, detail) in enumerate(rows):
        y = top + n * row_height
        body.append(
            f'<g class="bar-row"><title>{escape(label)}: {percent(rate)}'
            f"{escape(' - ' + detail) if detail else ''}</title>"
        )
        body.append(_text(label_width - 8, y + 20, _shorten(label, 14), "end", 14))
        if rate is None:
            body.append(
                _text(label_width + 4, y + 20, "no incidents", size=14, cls="none", fill="#555555")
            )
        else:
            length = max(rate * bar_width, 1)
            body.append(
                f'<rect class="bar" x="{label_width}" y="{y + 5}" '
                f'width="{_num(length)}" height="{row_height - 10}" '
                f'fill="{WITH_COLOUR}" data-rate="{rate}"/>'
            )
            body.append(
                _text(label_width + length + 6, y + 20, percent(rate), size=14, cls="value")
            )
        body.append("</g>")
    return _svg(width, height, title, desc, body, "rate-bars")


def _count_axis(peak, most_intervals=4):
    """(top, step) for an axis of counts: whole steps of 1, 2, 5, 10, 20, 50..., top >= peak."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if math.ceil(peak / step) <= most_intervals:
                return max(step * math.ceil(peak / step), step), step
        magnitude *= 10


def month_lines(points, title, desc=""):
    """Incidents per month with and without bodycam footage: points of (YYYY-MM, with, without).

    Months are drawn at even spacing in the order given; the caller fills the months
    without incidents with zeros so that the line does not skip them.
    """
    width, height, left, right, top, bottom = 480, 250, 36, 26, 40, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak, tick_step = _count_axis(max([max(w, wo) for _, w, wo in points], default=0))
    body = []
    for value in range(0, peak + 1, tick_step):
        y = top + plot_h - plot_h * value / peak
        body.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, str(value), "end", 12, "tick"))
    step = plot_w / max(len(points) - 1, 1)
    every = max(1, math.ceil(len(points) / 6))

    def xy(n, value):
        x = left + (step * n if len(points) > 1 else plot_w / 2)
        return x, top + plot_h - plot_h * value / peak

    for n, (month, _, _) in enumerate(points):
        if (len(points) - 1 - n) % every == 0:  # evenly spaced, ending on the latest month
            body.append(_text(xy(n, 0)[0], height - bottom + 18, month, "middle", 12, "tick"))
    if not points:
        body.append(
            _text(left + plot_w / 2, top + plot_h / 2, "no incidents match", "middle", cls="empty")
        )
    series = (
        ("with bodycam footage", 1, WITH_COLOUR, "with", ""),
        ("without bodycam footage", 2, WITHOUT_COLOUR, "without", ' stroke-dasharray="6 4"'),
    )
    for name, index, colour, cls, dash in series:
        coords = [xy(n, point[index]) for n, point in enumerate(points)]
        if len(coords) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
            body.append(
                f'<polyline class="line {cls}" points="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2.5"{dash}/>'
            )
        for (x, y), point in zip(coords, points, strict=True):
            body.append(
                f'<circle class="point {cls}" cx="{_num(x)}" cy="{_num(y)}" r="3.5" '
                f'fill="{colour}"><title>{escape(point[0])}: {point[index]} incidents '
                f"{escape(name)}</title></circle>"
            )
    legend_x = left
    for name, _, colour, _, dash in series:
        body.append(
            f'<line x1="{legend_x}" y1="14" x2="{legend_x + 24}" y2="14" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        body.append(_text(legend_x + 30, 18, name, size=13, cls="legend"))
        legend_x += 200
    return _svg(width, height, title, desc, body, "month-lines")


# Tick spacings for a timeline, shortest first; the first giving at most 8 ticks is used.
TICK_STEPS = [
    timedelta(seconds=s)
    for s in (
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        120,
        300,
        600,
        900,
        1800,
        3600,
        7200,
        10800,
        21600,
        43200,
        86400,
        2 * 86400,
        7 * 86400,
        30 * 86400,
        365 * 86400,
    )
]


def _ticks(start, end):
    span = (end - start).total_seconds()
    step = next((s for s in TICK_STEPS if span / s.total_seconds() <= 8), TICK_STEPS[-1])
    seconds = step.total_seconds()
    epoch_seconds = start - start.replace(hour=0, minute=0, second=0, microsecond=0)
    first = start + timedelta(seconds=-(epoch_seconds.total_seconds() % seconds) % seconds)
    ticks = []
    tick = first
    while tick <= end and len(ticks) < 50:
        ticks.append(tick)
        tick += step
    return ticks, step


def _tick_label(moment, step):
    if step >= timedelta(days=1):
        return moment.strftime("%Y-%m-%d")
    if step >= timedelta(minutes=1):
        return moment.strftime("%H:%M")
    return moment.strftime("%H:%M:%S")


def duration_text(seconds):
    """A duration for people: '45 s', '12 min 5 s', '3 h 20 min', '2 d 4 h'."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def timeline(window, rows, gaps, title, desc="", label_width=170, moments=(), lanes=()):
    """One incident's sources on a common time axis, with the gaps no source covers.

    `moments` (dicts with `id`, `label`, `at`) are drawn as vertical markers across every
    row; `lanes` (dicts with `officer_id`, `label`, `spans`, `late` and `early`: a (start,
    end) or None) are the expected officers, one row each under the sources, their bodycam
    spans drawn with the stretch before a late start and after an early stop marked.

    `window` is (start, end) in naive UTC; `rows` are dicts with `label`, `kind`, `id` and
    `spans` [(start, end)]; `gaps` are (start, end). Each bar and gap carries its times as
    data attributes, so tests (and scripts reading the page) find them without parsing SVG
    geometry. The axis runs over the window and any footage reaching beyond it.
    """
    width, row_height, top, right = 900, 30, 46, 16
    start, end = window
    for row in [*rows, *lanes]:
        for span_start, span_end in row["spans"]:
            start, end = min(start, span_start), max(end, span_end)
    for moment in moments:
        start, end = min(start, moment["at"]), max(end, moment["at"])
    if end <= start:  # an instant: give it a minute either side so it can be drawn
        start, end = start - timedelta(minutes=1), end + timedelta(minutes=1)
    total = (end - start).total_seconds()
    plot_w = width - label_width - right
    height = top + row_height * (max(len(rows), 1) + len(lanes)) + 28

    def x_of(moment):
        return label_width + plot_w * (moment - start).total_seconds() / total

    body = [
        f'<defs><pattern id="gap-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="#FDECEA"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{GAP_COLOUR}" stroke-width="3"/>'
        f"</pattern></defs>",
        f'<rect class="window" x="{_num(x_of(window[0]))}" y="{top - 8}" '
        f'width="{_num(max(x_of(window[1]) - x_of(window[0]), 1))}" '
        f'height="{height - top - 20}" fill="#F4F6F8" stroke="#8899AA" stroke-dasharray="3 3">'
        f"<title>incident window {isoformat_z(window[0])} to {isoformat_z(window[1])}</title>"
        f"</rect>",
    ]
    ticks, step = _ticks(start, end)
    for tick in ticks:
        x = x_of(tick)
        body.append(
            f'<line x1="{_num(x)}" y1="{top - 8}" x2="{_num(x)}" y2="{height - 20}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(x, top - 14, _tick_label(tick, step), "middle", 11, "tick"))
    body.append(_text(label_width - 28, top - 14, "UTC", "end", 11, "tick"))
    for gap_start, gap_end in gaps:
        seconds = (gap_end - gap_start).total_seconds()
        body.append(
            f'<rect class="gap" x="{_num(x_of(gap_start))}" y="{top - 8}" '
            f'width="{_num(max(x_of(gap_end) - x_of(gap_start), 2))}" '
            f'height="{height - top - 20}" fill="url(#gap-hatch)" fill-opacity="0.75" '
            f'stroke="{GAP_COLOUR}" stroke-width="1" data-start="{isoformat_z(gap_start)}" '
            f'data-end="{isoformat_z(gap_end)}"><title>gap: nothing recorded from '
            f"{isoformat_z(gap_start)} to {isoformat_z(gap_end)} "
            f"({duration_text(seconds)})</title></rect>"
        )
    if not rows:
        body.append(
            _text(label_width + 8, top + 18, "no footage with a known recording span", cls="empty")
        )
    for n, row in enumerate(rows):
        y = top + n * row_height
        body.append(f'<g class="source-row" data-source-id="{row["id"]}">')
        body.append(_text(label_width - 8, y + 19, _shorten(row["label"], 24), "end", 12))
        colour = KIND_COLOURS.get(row["kind"], KIND_COLOURS["other"])
        for span_start, span_end in row["spans"]:
            body.append(
                f'<rect class="span {escape(row["kind"])}" x="{_num(x_of(span_start))}" '
                f'y="{y + 6}" width="{_num(max(x_of(span_end) - x_of(span_start), 2))}" '
                f'height="{row_height - 12}" rx="3" fill="{colour}" '
                f'data-start="{isoformat_z(span_start)}" data-end="{isoformat_z(span_end)}">'
                f"<title>{escape(row['label'])}: {isoformat_z(span_start)} to "
                f"{isoformat_z(span_end)}</title></rect>"
            )
        body.append("</g>")
    for n, lane in enumerate(lanes):
        y = top + (max(len(rows), 1) + n) * row_height
        body.append(
            f'<g class="officer-lane" data-officer-id="{lane["officer_id"]}" '
            f'data-late-start="{"yes" if lane["late"] else "no"}" '
            f'data-early-stop="{"yes" if lane["early"] else "no"}">'
        )
        body.append(_text(label_width - 8, y + 19, _shorten(lane["label"], 24), "end", 12))
        for cls, stretch, what in (
            ("late-start", lane["late"], "not recording yet (late start)"),
            ("early-stop", lane["early"], "no longer recording (early stop)"),
        ):
            if stretch:
                a, b = stretch
                body.append(
                    f'<rect class="{cls}" x="{_num(x_of(a))}" y="{y + 10}" '
                    f'width="{_num(max(x_of(b) - x_of(a), 2))}" height="{row_height - 20}" '
                    f'fill="url(#gap-hatch)" stroke="{LATE_COLOUR}" stroke-width="1" '
                    f'data-start="{isoformat_z(a)}" data-end="{isoformat_z(b)}"><title>'
                    f"{escape(lane['label'])}: {what} from {isoformat_z(a)} to "
                    f"{isoformat_z(b)} ({duration_text((b - a).total_seconds())})</title></rect>"
                )
        for span_start, span_end in lane["spans"]:
            body.append(
                f'<rect class="lane-span bodycam" x="{_num(x_of(span_start))}" y="{y + 6}" '
                f'width="{_num(max(x_of(span_end) - x_of(span_start), 2))}" '
                f'height="{row_height - 12}" rx="3" fill="{KIND_COLOURS["bodycam"]}" '
                f'data-start="{isoformat_z(span_start)}" data-end="{isoformat_z(span_end)}">'
                f"<title>{escape(lane['label'])}: bodycam {isoformat_z(span_start)} to "
                f"{isoformat_z(span_end)}</title></rect>"
            )
        body.append("</g>")
    for moment in moments:
        x = x_of(moment["at"])
        body.append(
            f'<g class="moment" data-moment-id="{moment["id"]}" '
            f'data-at="{isoformat_z(moment["at"])}">'
            f'<line x1="{_num(x)}" y1="{top - 8}" x2="{_num(x)}" y2="{height - 20}" '
            f'stroke="{MOMENT_COLOUR}" stroke-width="2" stroke-dasharray="5 3"/>'
            f"<title>{escape(moment['label'])}: {isoformat_z(moment['at'])}</title>"
            + _text(
                x + 4,
                top + 4,
                _shorten(moment["label"], 20),
                size=11,
                cls="moment-label",
                fill=MOMENT_COLOUR,
            )
            + "</g>"
        )
    legend_y = height - 6
    body.append(
        f'<rect x="{label_width}" y="{legend_y - 10}" width="14" height="12" '
        f'fill="url(#gap-hatch)" stroke="{GAP_COLOUR}"/>'
    )
    body.append(
        _text(label_width + 20, legend_y, "gap: no source recording", size=11, cls="legend")
    )
    body.append(
        f'<rect x="{label_width + 200}" y="{legend_y - 10}" width="14" height="12" '
        f'fill="#F4F6F8" stroke="#8899AA" stroke-dasharray="3 3"/>'
    )
    body.append(_text(label_width + 220, legend_y, "incident window", size=11, cls="legend"))
    return _svg(width, height, title, desc, body, "timeline")


# Activation delay buckets, from on time (blue) to very late (vermillion); no bodycam grey.
DELAY_COLOURS = ("#0072B2", "#56B4E9", "#F0E442", "#E69F00", "#D55E00", "#882255", "#999999")
MOMENT_COLOUR = "#6A1B9A"
LATE_COLOUR = "#D55E00"


def distribution_bars(rows, buckets, title, desc="", label_width=112):
    """One 100% stacked bar per group: rows of (label, {bucket: count}), buckets in order.

    Each segment carries its bucket and count as data attributes and a tooltip; the page
    gives the same counts in a table.
    """
    width, row_height, top = 480, 30, 12
    bar_width = width - label_width - 16
    legend_rows = math.ceil(len(buckets) / 2)
    height = top + row_height * max(len(rows), 1) + 8 + legend_rows * 18
    body = []
    if not rows:
        body.append(_text(label_width, top + 20, "no officers expected to wear a camera", size=14))
    for n, (label, counts) in enumerate(rows):
        y = top + n * row_height
        total = sum(counts.values())
        body.append(f'<g class="distribution-row" data-group="{escape(label)}">')
        body.append(_text(label_width - 8, y + 20, _shorten(label, 14), "end", 14))
        x = label_width
        for bucket, colour in zip(buckets, DELAY_COLOURS, strict=False):
            count = counts.get(bucket, 0)
            if not count or not total:
                continue
            length = bar_width * count / total
            body.append(
                f'<rect class="segment" x="{_num(x)}" y="{y + 5}" width="{_num(length)}" '
                f'height="{row_height - 10}" fill="{colour}" data-bucket="{escape(bucket)}" '
                f'data-count="{count}"><title>{escape(label)}: {count} of {total} officers '
                f"{escape(bucket)}</title></rect>"
            )
            x += length
        body.append("</g>")
    legend_top = top + row_height * max(len(rows), 1) + 14
    for n, (bucket, colour) in enumerate(zip(buckets, DELAY_COLOURS, strict=False)):
        lx = label_width + (n % 2) * 180
        ly = legend_top + (n // 2) * 18
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(lx + 18, ly, bucket, size=12, cls="legend"))
    return _svg(width, height, title, desc, body, "distribution-bars")
