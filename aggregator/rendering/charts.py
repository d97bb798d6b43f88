"""Charts for the report: horizontal bars, readable in black and white, as SVG and PNG.

One layout, two painters: SVG for the HTML report (text stays text: searchable, printed in
the page's font) and PNG for the Word report (Pillow, with the DejaVu Serif font shipped in
``fonts/`` so every Vietnamese letter is drawn the same on every machine). A bar chart of a
few dozen bars does not need a plotting library; drawing it ourselves saves about a second
of every run (matplotlib's import and layout, measured in benchmarks/README.md).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path(__file__).parent / "fonts" / "DejaVuSerif.ttf"
WIDTH = 640  # drawing units: CSS pixels in the SVG, PNG pixels / SCALE
ROW = 22  # height of one bar's row
BAR = 14  # height of a bar
TEXT = 12  # font size
LABEL_MAX = 250  # widest label before it is shortened with "…"
TOP, BOTTOM, GAP = 8, 40, 6
SCALE = 2.5  # PNG pixels per drawing unit: sharp when printed 150 mm wide
FILL, INK, GRID = "#c8c8c8", "#000000", "#bdbdbd"


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    png: bytes


@dataclass(frozen=True)
class _Layout:
    labels: list[str]
    values: list[int]
    left: float  # x of the axis
    right: float  # x where the longest bar ends
    ticks: list[int]
    top_value: int
    height: float

    def x(self, value: float) -> float:
        return self.left + (self.right - self.left) * value / self.top_value

    def y(self, index: int) -> float:
        return TOP + index * ROW


def bars(title: str, labels: list[str], values: list[int], unit: str = "mô hình") -> Chart:
    """Horizontal bars, largest meaning longest, the number written at the end of each bar."""
    layout = _layout(labels, values)
    return Chart(title=title, svg=_svg(layout, title, unit), png=_png(layout, unit))


def _layout(labels: list[str], values: list[int]) -> _Layout:
    font = _font(TEXT)
    shown = [_shorten(label, font) for label in labels]
    left = GAP + max((font.getlength(s) for s in shown), default=0) + GAP
    step = _tick_step(max(values, default=0))
    top_value = step * math.ceil(max(max(values, default=0), 1) / step)
    number_room = font.getlength(number_text(top_value)) + 2 * GAP
    ticks = list(range(0, top_value + 1, step))
    return _Layout(
        shown, list(values), left, WIDTH - number_room, ticks, top_value, TOP + len(values) * ROW + BOTTOM
    )


def _tick_step(top: int) -> int:
    """1, 2 or 5 times a power of ten, giving four to eight ticks."""
    if top <= 5:
        return 1
    magnitude = 10 ** int(math.log10(top / 4))
    return next(m * magnitude for m in (1, 2, 5, 10) if top / (m * magnitude) <= 8)


def _shorten(label: str, font: ImageFont.FreeTypeFont) -> str:
    if font.getlength(label) <= LABEL_MAX:
        return label
    while label and font.getlength(label + "…") > LABEL_MAX:
        label = label[:-1]
    return label.rstrip() + "…"


def number_text(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _svg(layout: _Layout, title: str, unit: str) -> str:
    axis_y = TOP + len(layout.values) * ROW
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {layout.height:.0f}" '
        f"font-family=\"'DejaVu Serif', 'Times New Roman', serif\" font-size=\"{TEXT}\">",
        f"<title>{escape(title)}</title>",
    ]
    for tick in layout.ticks:
        x = layout.x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{axis_y + 4}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
            f'<text x="{x:.1f}" y="{axis_y + 17}" text-anchor="middle">'
            f"{number_text(tick)}</text>"
        )
    for i, (label, value) in enumerate(zip(layout.labels, layout.values, strict=True)):
        y = layout.y(i)
        mid = y + ROW / 2 + TEXT * 0.35
        end = layout.x(value)
        parts.append(
            f'<text x="{layout.left - GAP:.1f}" y="{mid:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{layout.left:.1f}" y="{y + (ROW - BAR) / 2:.1f}" '
            f'width="{end - layout.left:.1f}" height="{BAR}" fill="{FILL}" '
            f'stroke="{INK}" stroke-width="0.8"/>'
            f'<text x="{end + GAP / 2:.1f}" y="{mid:.1f}">{number_text(value)}</text>'
        )
    parts.append(
        f'<line x1="{layout.left:.1f}" y1="{TOP}" x2="{layout.left:.1f}" '
        f'y2="{axis_y}" stroke="{INK}"/>'
        f'<line x1="{layout.left:.1f}" y1="{axis_y}" x2="{layout.right:.1f}" '
        f'y2="{axis_y}" stroke="{INK}"/>'
        f'<text x="{(layout.left + layout.right) / 2:.1f}" y="{axis_y + 34}" '
        f'text-anchor="middle">Số {escape(unit)}</text></svg>'
    )
    return "".join(parts)


def _png(layout: _Layout, unit: str) -> bytes:
    size = (round(WIDTH * SCALE), round(layout.height * SCALE))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = _font(round(TEXT * SCALE))
    axis_y = TOP + len(layout.values) * ROW

    def s(value: float) -> int:
        return round(value * SCALE)

    for tick in layout.ticks:
        x = s(layout.x(tick))
        draw.line([(x, s(TOP)), (x, s(axis_y + 4))], fill=GRID, width=max(1, s(0.6)))
        draw.text((x, s(axis_y + 17)), number_text(tick), font=font, fill=INK, anchor="ms")
    for i, (label, value) in enumerate(zip(layout.labels, layout.values, strict=True)):
        y = layout.y(i)
        mid = s(y + ROW / 2)
        end = layout.x(value)
        draw.text((s(layout.left - GAP), mid), label, font=font, fill=INK, anchor="rm")
        if value:
            draw.rectangle(
                [s(layout.left), s(y + (ROW - BAR) / 2), s(end), s(y + (ROW + BAR) / 2)],
                fill=FILL,
                outline=INK,
                width=s(0.8),
            )
        draw.text((s(end + GAP / 2), mid), number_text(value), font=font, fill=INK, anchor="lm")
    draw.line([(s(layout.left), s(TOP)), (s(layout.left), s(axis_y))], fill=INK, width=s(1))
    draw.line([(s(layout.left), s(axis_y)), (s(layout.right), s(axis_y))], fill=INK, width=s(1))
    draw.text(
        (s((layout.left + layout.right) / 2), s(axis_y + 34)), f"Số {unit}", font=font, fill=INK, anchor="ms"
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(SCALE * 96, SCALE * 96), optimize=False)
    return buffer.getvalue()


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)
