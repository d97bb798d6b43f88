"""The report's bar charts: proportional bars, escaped labels, a real PNG, same bytes each time."""

import io
import re
import xml.etree.ElementTree as ET

from PIL import Image

from aggregator.rendering import charts

SVG = "{http://www.w3.org/2000/svg}"


def bar_widths(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    return [float(r.get("width")) for r in root.iter(f"{SVG}rect")]


def test_bars_are_proportional_to_the_values_and_labelled_with_them():
    chart = charts.bars("Theo lĩnh vực", ["1. Hành chính", "2. Sản xuất", "3. Kinh tế hộ"], [10, 5, 0])
    widths = bar_widths(chart.svg)
    assert widths[1] * 2 == widths[0] and widths[2] == 0
    texts = [t.text for t in ET.fromstring(chart.svg).iter(f"{SVG}text")]
    assert {"1. Hành chính", "2. Sản xuất", "3. Kinh tế hộ", "10", "5", "0"} <= set(texts)


def test_labels_and_titles_are_escaped_in_the_svg():
    chart = charts.bars("<script>alert(1)</script>", ['Đơn vị "A" <b>&</b>'], [3])
    assert "<script>" not in chart.svg and "<b>" not in chart.svg
    root = ET.fromstring(chart.svg)  # still well-formed XML
    assert 'Đơn vị "A" <b>&</b>' in [t.text for t in root.iter(f"{SVG}text")]


def test_thousands_are_written_the_vietnamese_way_and_ticks_are_round():
    chart = charts.bars("Tổng", ["Cả tỉnh"], [12345])
    texts = [t.text for t in ET.fromstring(chart.svg).iter(f"{SVG}text")]
    assert "12.345" in texts
    ticks = [int(t.replace(".", "")) for t in texts if re.fullmatch(r"[\d.]+", t) and t != "12.345"]
    assert ticks[0] == 0 and 4 <= len(ticks) <= 9
    step = ticks[1] - ticks[0]
    assert str(step).rstrip("0") in ("1", "2", "5") and ticks[-1] >= 12345


def test_the_png_is_an_image_as_tall_as_its_bars_and_the_same_every_time():
    few = charts.bars("Ít", ["A"], [1])
    many = charts.bars("Nhiều", [f"Đơn vị {i}" for i in range(30)], list(range(30)))
    small, big = Image.open(io.BytesIO(few.png)), Image.open(io.BytesIO(many.png))
    assert small.format == "PNG" and small.width == big.width and big.height > 10 * small.height
    assert charts.bars("Nhiều", [f"Đơn vị {i}" for i in range(30)], list(range(30))).png == many.png


def test_a_very_long_label_is_shortened_not_allowed_to_push_the_bars_off_the_page():
    long = "Đảng ủy " + "rất dài " * 40
    chart = charts.bars("Dài", [long, "Ngắn"], [4, 2])
    label = next(t.text for t in ET.fromstring(chart.svg).iter(f"{SVG}text") if t.text.startswith("Đảng"))
    assert label.endswith("…") and len(label) < len(long)
    assert all(w > 0 for w in bar_widths(chart.svg))
