"""Server-rendered SVG charts, each with the table that says the same in text.

No JavaScript and no inline style: shapes carry classes styled by ``report.css`` (and
plain presentation attributes), so the charts obey the strict CSP, print, and read the
same in a PDF. Every chart is a :class:`Chart`: its SVG and its table (headers, rows),
which the templates render together; screen readers get the table, the SVG is
``aria-hidden``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from app.i18n import N_, current_language, format_decimal, format_percent, translate

WIDTH, HEIGHT = 440, 200
PAD_L, PAD_R, PAD_T, PAD_B = 44, 16, 14, 34


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    headers: list[str]
    rows: list[list[str]]


# Text people read (labels, table cells) is in the language of the render; geometry
# (x, y, width, viewBox …) stays machine numbers.
def _fmt(value: float | None, digits: int = 1) -> str:
    if value is not None and math.isnan(value):
        value = None
    return format_decimal(value, current_language(), digits, trim=True)


def _pct(value: float | None) -> str:
    return format_percent(value, current_language())


def _svg(body: list[str], title: str, width: int = WIDTH, height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, cls: str = "label", anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


class _Axis:
    """A linear map of [low, high] onto [start, end] pixels."""

    def __init__(self, low: float, high: float, start: float, end: float) -> None:
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        return self.start + (value - self.low) / span * (self.end - self.start)


def distribution(title: str, points: Sequence[int], counts: Sequence[int]) -> Chart:
    """Bars: how many raters chose each scale point."""
    top = max(max(counts, default=0), 1)
    x = _Axis(0, len(points), PAD_L, WIDTH - PAD_R)
    y = _Axis(0, top, HEIGHT - PAD_B, PAD_T)
    body = [f'<line class="axis" x1="{PAD_L}" y1="{y(0)}" x2="{WIDTH - PAD_R}" y2="{y(0)}"/>']
    step = x(1) - x(0)
    for i, (point, count) in enumerate(zip(points, counts, strict=True)):
        left = x(i) + step * 0.15
        body.append(
            f'<rect class="bar" x="{left:.1f}" y="{y(count):.1f}" width="{step * 0.7:.1f}" '
            f'height="{y(0) - y(count):.1f}"/>'
        )
        body.append(_text(x(i) + step / 2, HEIGHT - PAD_B + 14, str(point)))
        if count:
            body.append(_text(x(i) + step / 2, y(count) - 3, str(count), "value"))
    body.append(_text(PAD_L - 6, y(top) + 4, str(top), "tick", "end"))
    total = sum(counts) or 1
    return Chart(
        title,
        _svg(body, title),
        [translate(N_("Rating")), translate(N_("Raters")), translate(N_("Share"))],
        [[str(p), str(c), _pct(c / total)] for p, c in zip(points, counts, strict=True)],
    )


def trajectory(title: str, scale: Sequence[int], rounds: list[dict[str, Any]]) -> Chart:
    """Median per round with the interquartile band, and the agreement share (right axis)."""
    numbers = [r["round"] for r in rounds]
    x = _Axis(min(numbers) - 0.5, max(numbers) + 0.5, PAD_L, WIDTH - PAD_L)
    y = _Axis(scale[0], scale[1], HEIGHT - PAD_B, PAD_T)
    share = _Axis(0, 1, HEIGHT - PAD_B, PAD_T)
    body = [
        f'<line class="axis" x1="{PAD_L}" y1="{y(scale[0])}" x2="{WIDTH - PAD_L}" '
        f'y2="{y(scale[0])}"/>',
        _text(PAD_L - 6, y(scale[1]) + 4, str(scale[1]), "tick", "end"),
        _text(PAD_L - 6, y(scale[0]) + 4, str(scale[0]), "tick", "end"),
        _text(WIDTH - PAD_L + 6, share(1) + 4, _pct(1), "tick", "start"),
        _text(WIDTH - PAD_L + 6, share(0) + 4, _pct(0), "tick", "start"),
    ]
    band = [r for r in rounds if r["q1"] is not None and r["q3"] is not None]
    if band:
        upper = " ".join(f"{x(r['round']):.1f},{y(r['q3']):.1f}" for r in band)
        lower = " ".join(f"{x(r['round']):.1f},{y(r['q1']):.1f}" for r in reversed(band))
        body.append(f'<polygon class="iqr-band" points="{upper} {lower}"/>')
    for key, axis, cls in (("median", y, "median-line"), ("agree", share, "agree-line")):
        marks = [r for r in rounds if r[key] is not None]
        if marks:
            line = " ".join(f"{x(r['round']):.1f},{axis(r[key]):.1f}" for r in marks)
            body.append(f'<polyline class="{cls}" points="{line}"/>')
            body += [
                f'<circle class="{cls}-dot" cx="{x(r["round"]):.1f}" cy="{axis(r[key]):.1f}" '
                f'r="3.5"/>'
                for r in marks
            ]
    body += [_text(x(n), HEIGHT - PAD_B + 14, f"R{n}") for n in numbers]
    return Chart(
        title,
        _svg(body, title),
        [
            translate(h)
            for h in (
                N_("Round"),
                N_("Raters"),
                N_("Median"),
                N_("Q1"),
                N_("Q3"),
                N_("Agree"),
                N_("Consensus"),
            )
        ],
        [
            [
                str(r["round"]),
                str(r["n"]),
                _fmt(r["median"]),
                _fmt(r["q1"]),
                _fmt(r["q3"]),
                _pct(r["agree"]),
                translate({True: N_("yes"), False: N_("no"), None: N_("no rule")}[r["consensus"]]),
            ]
            for r in rounds
        ],
    )


def two_criteria(
    title: str,
    labels: tuple[str, str],
    scales: tuple[Sequence[int], Sequence[int]],
    statements: list[dict[str, Any]],
) -> Chart:
    """Each statement at its two medians, IQR whiskers both ways, consensus filled.

    ``statements``: ``{"label", "x": record, "y": record, "consensus": bool}`` with the
    records' ``median``, ``q1``, ``q3``. Quadrants split at each scale's midpoint.
    """
    size = 420
    left, bottom, top_, right = 40, size - 40, 14, size - 14
    x = _Axis(scales[0][0], scales[0][1], left, right)
    y = _Axis(scales[1][0], scales[1][1], bottom, top_)
    mid_x, mid_y = (scales[0][0] + scales[0][1]) / 2, (scales[1][0] + scales[1][1]) / 2

    def quadrant(message: str) -> str:
        return translate(message, {"x": labels[0], "y": labels[1]})

    body = [
        f'<rect class="plot" x="{left}" y="{top_}" width="{right - left}" '
        f'height="{bottom - top_}"/>',
        f'<line class="quadrant" x1="{x(mid_x):.1f}" y1="{top_}" x2="{x(mid_x):.1f}" '
        f'y2="{bottom}"/>',
        f'<line class="quadrant" x1="{left}" y1="{y(mid_y):.1f}" x2="{right}" '
        f'y2="{y(mid_y):.1f}"/>',
        _text(right - 4, top_ + 12, quadrant(N_("high %(x)s, high %(y)s")), "quad", "end"),
        _text(left + 4, top_ + 12, quadrant(N_("low %(x)s, high %(y)s")), "quad", "start"),
        _text(right - 4, bottom - 5, quadrant(N_("high %(x)s, low %(y)s")), "quad", "end"),
        _text(left + 4, bottom - 5, quadrant(N_("low %(x)s, low %(y)s")), "quad", "start"),
        _text((left + right) / 2, size - 8, labels[0], "axis-title"),
        f'<text class="axis-title" text-anchor="middle" transform="translate(14 '
        f'{(top_ + bottom) / 2:.1f}) rotate(-90)">{escape(labels[1])}</text>',
        _text(left, bottom + 14, str(scales[0][0]), "tick"),
        _text(right, bottom + 14, str(scales[0][1]), "tick"),
        _text(left - 6, bottom, str(scales[1][0]), "tick", "end"),
        _text(left - 6, top_ + 8, str(scales[1][1]), "tick", "end"),
    ]
    rows = []
    # Statements at the same medians are spread on a small circle, numbered: the table
    # gives each number's statement.
    shared: dict[tuple[float, float], int] = {}
    for number, s in enumerate(statements, start=1):
        fx, fy = s["x"], s["y"]
        if fx["median"] is None or fy["median"] is None:
            rows.append([str(number), s["label"], "–", "–", translate(N_("no ratings"))])
            continue
        spot = (fx["median"], fy["median"])
        nth = shared.get(spot, 0)
        shared[spot] = nth + 1
        angle = nth * 2.4  # golden angle, in radians: neighbours never line up
        radius = 0.0 if nth == 0 else 5.0 + 1.2 * nth
        cx = x(fx["median"]) + radius * math.cos(angle)
        cy = y(fy["median"]) + radius * math.sin(angle)
        if fx["q1"] is not None and fx["q3"] is not None:
            body.append(
                f'<line class="whisker" x1="{x(fx["q1"]):.1f}" y1="{cy:.1f}" '
                f'x2="{x(fx["q3"]):.1f}" y2="{cy:.1f}"/>'
            )
        if fy["q1"] is not None and fy["q3"] is not None:
            body.append(
                f'<line class="whisker" x1="{cx:.1f}" y1="{y(fy["q1"]):.1f}" '
                f'x2="{cx:.1f}" y2="{y(fy["q3"]):.1f}"/>'
            )
        cls = "point consensus" if s["consensus"] else "point"
        body.append(f'<circle class="{cls}" cx="{cx:.1f}" cy="{cy:.1f}" r="6"/>')
        body.append(_text(cx, cy + 3, str(number), "point-label"))
        rows.append(
            [
                str(number),
                s["label"],
                f"{_fmt(fx['median'])} ({_fmt(fx['q1'])}–{_fmt(fx['q3'])})",
                f"{_fmt(fy['median'])} ({_fmt(fy['q1'])}–{_fmt(fy['q3'])})",
                translate(N_("consensus")) if s["consensus"] else translate(N_("no consensus")),
            ]
        )
    return Chart(
        title,
        _svg(body, title, size, size),
        [
            translate(N_("No.")),
            translate(N_("Statement")),
            *(
                translate(N_("%(criterion)s: median (IQR)"), {"criterion": label})
                for label in labels
            ),
            translate(N_("Verdict")),
        ],
        rows,
    )


def heatmap(
    title: str,
    groups: list[tuple[str, str]],
    statements: list[tuple[str, dict[str, dict[str, Any] | None]]],
    min_group_size: int,
) -> Chart:
    """Median and agreement per stakeholder group (columns) and statement (rows).

    A cell's shade is the agreement share; a suppressed cell (``None``) is hatched and
    says so in the table.
    """
    cell_w, cell_h, head, side = 84, 22, 28, 90
    width = side + cell_w * len(groups) + 4
    height = head + cell_h * len(statements) + 4
    body = [
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line class="hatch" x1="0" y1="0" x2="0" y2="6"/>'
        "</pattern></defs>"
    ]
    body += [
        _text(side + cell_w * (i + 0.5), head - 10, key, "tick")
        for i, (key, _) in enumerate(groups)
    ]
    rows = []
    for r, (label, cells) in enumerate(statements):
        top = head + r * cell_h
        body.append(_text(side - 6, top + cell_h * 0.7, label, "tick", "end"))
        row = [label]
        for i, (key, _) in enumerate(groups):
            left = side + i * cell_w
            figures = cells.get(key)
            if figures is None:
                body.append(
                    f'<rect class="cell suppressed" x="{left}" y="{top}" width="{cell_w - 2}" '
                    f'height="{cell_h - 2}" fill="url(#hatch)"/>'
                )
                row.append(translate(N_("suppressed (fewer than %(k)s)"), {"k": min_group_size}))
                continue
            agree = figures.get("agree") or 0.0
            level = min(4, int(agree * 5))
            body.append(
                f'<rect class="cell shade-{level}" x="{left}" y="{top}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}"/>'
            )
            body.append(
                _text(
                    left + cell_w / 2, top + cell_h * 0.7, _fmt(figures.get("median")), "cell-text"
                )
            )
            row.append(f"{_fmt(figures.get('median'))} / {_pct(figures.get('agree'))}")
        rows.append(row)
    return Chart(
        title,
        _svg(body, title, width, height),
        [
            translate(N_("Statement")),
            *(translate(N_("%(group)s: median / agree"), {"group": name}) for _, name in groups),
        ],
        rows,
    )


def opinion_map(title: str, result: dict[str, Any]) -> Chart:
    """Respondents as unlabelled dots on the first two principal components."""
    points = result["points"]
    xs = [p["x"] for p in points] or [0.0]
    ys = [p["y"] for p in points] or [0.0]
    pad = 0.5
    size = 300
    x = _Axis(min(xs) - pad, max(xs) + pad, 20, size - 20)
    y = _Axis(min(ys) - pad, max(ys) + pad, size - 20, 20)
    body = [f'<rect class="plot" x="20" y="20" width="{size - 40}" height="{size - 40}"/>']
    for p in points:
        cls = f"dot group-{p['group']}" if p["group"] else "dot undescribed"
        body.append(f'<circle class="{cls}" cx="{x(p["x"]):.1f}" cy="{y(p["y"]):.1f}" r="3"/>')
    rows = [
        [
            translate(N_("Opinion group %(number)s"), {"number": g["number"]}),
            str(g["size"]),
            ", ".join(d["key"] for d in g["distinguishing"]),
        ]
        for g in result["groups"]
    ]
    if result["undescribed"]:
        rows.append(
            [
                translate(N_("Smaller groups: %(count)s"), {"count": result["undescribed"]}),
                translate(N_("fewer than %(k)s each"), {"k": result["min_size"]}),
                translate(N_("not described")),
            ]
        )
    return Chart(
        title,
        _svg(body, title, size, size),
        [
            translate(N_("Group")),
            translate(N_("Respondents")),
            translate(N_("Distinguishing statements")),
        ],
        rows,
    )
