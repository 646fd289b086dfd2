"""Geometry of the server-drawn SVG charts (no chart library, no script, no style
attribute: positions are SVG attributes, colours are classes in static/css/insights.css).
Every chart is drawn beside a table of the same numbers."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


def _scale(values: list[int]) -> int:
    return max([*values, 1])


def sparkline(values: list[int], *, width: int = 120, height: int = 32) -> list[Bar]:
    """One bar per value, left to right; an empty week keeps a 1-pixel baseline bar."""
    top = _scale(values)
    step = width / max(len(values), 1)
    bars = []
    for i, value in enumerate(values):
        h = max(value / top * (height - 2), 1)
        bars.append(Bar(i * step + 1, height - h, step - 2, h, value, ""))
    return bars


@dataclass(frozen=True)
class HorizontalChart:
    width: int
    height: int
    label_width: int
    bars: list[Bar]


ROW = 28


def horizontal(
    rows: list[tuple[str, int]], *, width: int = 640, label_width: int = 220
) -> HorizontalChart:
    """Bars left to right, one row per (label, value), the longest the largest value."""
    top = _scale([value for _, value in rows])
    room = width - label_width - 60  # space for the value written after the bar
    bars = [
        Bar(
            label_width,
            i * ROW + 4,
            max(value / top * room, 1 if value else 0),
            ROW - 8,
            value,
            label,
        )
        for i, (label, value) in enumerate(rows)
    ]
    return HorizontalChart(
        width=width, height=max(len(rows), 1) * ROW, label_width=label_width, bars=bars
    )


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    bars: list[Bar]
    top: int  # the largest value, written on the axis


def columns(values: list[tuple[str, int]], *, height: int = 160) -> ColumnChart:
    """Columns bottom up, one per (label, value), e.g. one per day."""
    top = _scale([value for _, value in values])
    step = 8
    bars = [
        Bar(i * step, height - (value / top * height), step - 2, value / top * height, value, label)
        for i, (label, value) in enumerate(values)
    ]
    return ColumnChart(width=max(len(values), 1) * step, height=height, bars=bars, top=top)
