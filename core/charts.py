"""Horizontal bar charts drawn on the server as inline SVG (no script): where each bar, its label,
its value and the parts of a stacked bar go. The figures that use them give the bars their lengths
and words; their templates draw them from these positions, and a table beside each chart gives
every number.

A chart is laid out left to right: the bars' labels (right-aligned, ending ``label_gap`` before
the plot), the plot where bars run from ``label_width``, then room for each bar's value. Bars run
down from ``top`` (room for a legend above the first), one every ``bar_height + gap``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

Part = TypeVar("Part")


@dataclass(frozen=True)
class Layout:
    """A chart's dimensions, in SVG units."""

    bar_height: int = 24
    gap: int = 10  # between two bars
    top: int = 10  # the first bar's top edge
    label_width: int = 270
    plot_width: int = 380
    value_width: int = 110
    label_gap: int = 8  # between a label's end and the plot
    value_gap: int = 6  # between the end of a bar (or of the plot) and its value
    baseline: int = 6  # a bar's words sit this far above its bottom edge
    values_after_plot: bool = False  # every value after the plot's full width, not after its own bar

    @property
    def width(self) -> int:
        return self.label_width + self.plot_width + self.value_width

    @property
    def step(self) -> int:
        return self.bar_height + self.gap

    def height(self, bars: int) -> int:
        return self.top + bars * self.step

    def bar_y(self, index: int) -> int:
        """The top edge of the bar at ``index`` (0 the first)."""
        return self.top + index * self.step

    def length(self, value: float, whole: float) -> float:
        """How long a bar for ``value`` is when ``whole`` fills the plot, to a tenth."""
        return round(value / whole * self.plot_width, 1)

    def stacked(self, counts: Iterable[tuple[Part, int]], whole: float) -> list[tuple[Part, float, float]]:
        """(part, x, width) for each part with a count, side by side from the plot's left edge in
        the order given, each as long as its count when ``whole`` fills the plot."""
        x, placed = float(self.label_width), []
        for part, count in counts:
            if count:
                width = self.length(count, whole)
                placed.append((part, round(x, 1), width))
                x += width
        return placed


@dataclass(frozen=True, kw_only=True)
class Row:
    """What every bar has: a label at its left, its top edge, and its chart's layout."""

    label: str
    y: int
    layout: Layout = field(repr=False)

    @property
    def length(self) -> float:
        raise NotImplementedError

    @property
    def text_y(self) -> int:
        return self.y + self.layout.bar_height - self.layout.baseline

    @property
    def label_x(self) -> int:
        return self.layout.label_width - self.layout.label_gap

    @property
    def value_x(self) -> float:
        end = self.layout.plot_width if self.layout.values_after_plot else self.length
        return round(self.layout.label_width + end + self.layout.value_gap, 1)


@dataclass(frozen=True, kw_only=True)
class Bar(Row):
    """A bar of one piece, drawn from the plot's left edge; a width of 0 draws no bar."""

    width: float

    @property
    def length(self) -> float:
        return self.width


@dataclass(frozen=True, kw_only=True)
class Segment:
    """One part of a stacked bar."""

    x: float
    width: float

    @property
    def text_x(self) -> float:
        """The middle of the segment, for a number written inside it."""
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True, kw_only=True)
class StackedBar(Row):
    """A bar of parts side by side (Layout.stacked places them)."""

    segments: list[Segment]

    @property
    def length(self) -> float:
        return sum(segment.width for segment in self.segments)


@dataclass(frozen=True)
class BarChart:
    """The bars, with what the template needs of the layout to draw the whole chart."""

    layout: Layout = Layout()
    bars: list[Row] = field(default_factory=list)

    @property
    def width(self) -> int:
        return self.layout.width

    @property
    def height(self) -> int:
        return self.layout.height(len(self.bars))

    @property
    def bar_height(self) -> int:
        return self.layout.bar_height

    @property
    def label_width(self) -> int:
        return self.layout.label_width

    @property
    def plot_width(self) -> int:
        return self.layout.plot_width

    @property
    def plot_x(self) -> int:
        return self.layout.label_width
