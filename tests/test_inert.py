"""Hostile text stays text: no formula, link or markup comes out of what a unit typed."""

import openpyxl
from builders import model, workbook

from aggregator.cli import main

HOSTILE = [
    '=HYPERLINK("http://x","bấm")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1",
    "=cmd|' /C calc'!A0",
]
# text shaped like XlsxWriter's rich-string XML, which it would copy raw into the sheet: the
# inline shape (sheets written row by row) and the shared-strings shape (the others)
RICH = '<r><t>x</t></r></is></c><c r="B2"><f>1+1</f><v>2</v></c><c r="C2" t="inlineStr"><is><r><t>y</t></r>'
HOSTILE += [RICH, RICH.replace("</is></c>", "</si>")]


def test_formula_like_text_is_written_as_text_everywhere(tmp_path):
    inbox = tmp_path / "inbox"
    rows = [model(text, 1 + i % 2, **{"Ghi chú": text}) for i, text in enumerate(HOSTILE)]
    rows.append(model("Thiếu lĩnh vực", None, **{"Tập thể, cá nhân thực hiện": "=1+1"}))
    workbook(inbox / "a.xlsx", rows)
    assert main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    folder = tmp_path / "out" / "2026"
    for path in [folder / "tong-hop.xlsx", *sorted((folder / "phan-hoi").glob("*.xlsx"))]:
        book = openpyxl.load_workbook(path)
        cells = [
            c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)
        ]
        assert cells and all(c.data_type == "s" for c in cells), path.name
        seen = {c.value for c in cells}
        assert "+1+2" in seen and "@SUM(A1:A2)" in seen, path.name
        assert set(HOSTILE[-2:]) <= seen, path.name  # the rich-string shapes, as typed


def test_feedback_file_names_never_come_from_unit_text(tmp_path):
    inbox = tmp_path / "inbox"
    workbook(inbox / "..%2F..%2Fetc%2Fpasswd.xlsx", [model()], code=None, name="../../x")
    assert main(["--inbox", str(inbox), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    written = [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")]
    assert all(".." not in w and "%" not in w for w in written)
    assert any(w.startswith("2026/phan-hoi/khong-ro-don-vi-01-") for w in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox", "out"]
