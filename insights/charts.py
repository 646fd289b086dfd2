"""Geometry of the server-drawn SVG charts (no chart library, no script, no style
attribute: positions are SVG attributes, colours are classes in static/css/app.css).
Every chart is drawn beside a table of the same numbers. Coordinates are written here,
to one decimal, so templates print them as they are (a filter per number per bar was
most of a 200-course overview's rendering)."""

from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    value: int
    label: str = ""
    text_x: str = ""  # where the value is written, after the bar
    text_y: str = ""


def _top(values: list[int]) -> int:
    return max([*values, 1])


def sparkline(values: list[int], *, width: int = 120, height: int = 32) -> SafeString:
    """The bars' markup, one per value left to right (an empty week keeps a 1-pixel
    baseline bar): one string per row, made of numbers and two fixed class names only
    (nothing to escape), as an overview of hundreds of courses spent most of its time
    on the bars."""
    top = _top(values)
    step = width / max(len(values), 1)
    rects = []
    for i, value in enumerate(values):
        h = max(value / top * (height - 2), 1)
        kind = "spark__bar" if value else "spark__bar spark__bar--empty"
        rects.append(
            f'<rect class="{kind}" x="{_n(i * step + 1)}" y="{_n(height - h)}"'
            f' width="{_n(step - 2)}" height="{_n(h)}"></rect>'
        )
    return mark_safe("".join(rects))


@dataclass(frozen=True)
class HorizontalChart:
    width: int
    height: int
    label_x: int
    bars: list[Bar]


ROW = 28


def horizontal(
    rows: list[tuple[str, int]], *, width: int = 640, label_width: int = 220
) -> HorizontalChart:
    """Bars left to right, one row per (label, value), the longest the largest value."""
    top = _top([value for _, value in rows])
    room = width - label_width - 60  # space for the value written after the bar
    bars = []
    for i, (label, value) in enumerate(rows):
        length = max(value / top * room, 1 if value else 0)
        y = i * ROW + 4
        bars.append(
            Bar(
                x=str(label_width),
                y=str(y),
                width=_n(length),
                height=str(ROW - 8),
                value=value,
                label=label,
                text_x=_n(label_width + length + 6),
                text_y=str(y + 14),
            )
        )
    return HorizontalChart(
        width=width, height=max(len(rows), 1) * ROW, label_x=label_width - 8, bars=bars
    )


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    bars: list[Bar]
    top: int  # the largest value, written under the chart


def columns(values: list[tuple[str, int]], *, height: int = 160) -> ColumnChart:
    """Columns bottom up, one per (label, value), e.g. one per day."""
    top = _top([value for _, value in values])
    step = 8
    bars = []
    for i, (label, value) in enumerate(values):
        h = value / top * height
        bars.append(Bar(str(i * step), _n(height - h), str(step - 2), _n(h), value, label))
    return ColumnChart(width=max(len(values), 1) * step, height=height, bars=bars, top=top)
