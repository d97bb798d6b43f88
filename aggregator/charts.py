"""Charts for the report: horizontal bars, readable in black and white, as SVG and PNG.

Drawn with matplotlib (Agg, no display); file metadata pinned so the same figures give the
same bytes. Imported only when a report is rendered.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

plt.rcParams.update({
    "font.family": "serif",
    "font.serif": ["DejaVu Serif"],  # bundled with matplotlib: every Vietnamese letter, everywhere
    "font.size": 10,
    "svg.fonttype": "none",    # text stays text in SVG: searchable, rendered in the page's font
    "svg.hashsalt": "dienhinh",
})


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    png: bytes


def bars(title: str, labels: list[str], values: list[int], unit: str = "mô hình") -> Chart:
    """Horizontal bars, largest meaning longest, the number written at the end of each bar."""
    height = 0.8 + 0.28 * max(len(labels), 1)
    figure, axes = plt.subplots(figsize=(6.3, height), dpi=150)
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color="white", edgecolor="black", hatch="///", linewidth=0.8)
    axes.set_yticks(positions, labels)
    top = max(values, default=0)
    for y, value in zip(positions, values, strict=True):
        axes.text(value + top * 0.01 + 0.05, y, f"{value:,}".replace(",", "."), va="center",
                  fontsize=9)
    axes.set_xlim(0, top * 1.12 + 1)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}".replace(",", ".")))
    axes.set_xlabel(f"Số {unit}")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    svg, png = io.StringIO(), io.BytesIO()
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    figure.savefig(png, format="png", metadata={"Software": None})
    plt.close(figure)
    return Chart(title=title, svg=_inline(svg.getvalue()), png=png.getvalue())


def _inline(svg: str) -> str:
    """The <svg> element alone, fit to the page width, for embedding in HTML."""
    start = svg.index("<svg")
    return svg[start:].replace("<svg ", '<svg class="chart" role="img" ', 1)
