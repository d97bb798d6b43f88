#!/usr/bin/env python3
"""Build templates/review.docx: the Word template of the review report (tổng kết), docxtpl tags.

The header, "Nơi nhận" and signature are the December report's (``make_report_docx.masthead``
and ``closing``), and so are its tables and format (Hướng dẫn 36-HD/VPTW). The sentences that
carry figures (say.…) are in review-sentences.j2, shared with the HTML review. Staff may edit
review.docx in Word, keeping the {{ … }} and {% … %} tags; run this again to start over.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_report_docx import (  # noqa: E402  (beside this script)
    a4_document,
    appendix_title,
    closing,
    data_table,
    heading,
    masthead,
    monospace_column,
    para,
    tag,
)


def cells_table(document, table, widths, fixed=2, total=False, size=11):
    """A table of text cells from the context (``review.<table>``: headers, rows, total): the
    first ``fixed`` columns as they are, the others as many as the years held."""
    loop = f"{{%tc for c in row[{fixed}:] %}}"
    head = [*[f"{{{{ review.{table}.headers[{i}] }}}}" for i in range(fixed)]]
    row = [f"{{{{ row[{i}] }}}}" for i in range(fixed)]
    return data_table(
        document,
        [*head, f"{{%tc for h in review.{table}.headers[{fixed}:] %}}", "{{ h }}", "{%tc endfor %}"],
        [*row, loop, "{{ c }}", "{%tc endfor %}"],
        [*widths[:fixed], 1, widths[fixed], 1],
        f"row in review.{table}.rows",
        total=(
            [
                *[f"{{{{ review.{table}.total[{i}] }}}}" for i in range(fixed)],
                loop.replace("row[", f"review.{table}.total["),
                "{{ c }}",
                "{%tc endfor %}",
            ]
            if total
            else None
        ),
        size=size,
    )


def build(path: Path) -> None:
    document = a4_document()
    tag(document, "{%p import 'review-sentences.j2' as say %}")
    tag(document, "{%p set r = review %}")
    tag(document, "{%p if sample %}")  # a period read was made from a sample inbox
    para(document, "{{ say.sample_banner() }}", 16, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    tag(document, "{%p endif %}")
    centre = WD_ALIGN_PARAGRAPH.CENTER
    masthead(document)
    para(document, "{{ say.opening(header, r) }}")

    heading(document, "I. SỐ LIỆU CỦA GIAI ĐOẠN")
    para(document, "{{ say.scope(r) }}")
    tag(document, "{%p for year in r.years_missing %}")
    para(document, "{{ say.missing(year, r) }}", bold=True)
    tag(document, "{%p endfor %}")

    heading(document, "II. KẾT QUẢ XÂY DỰNG VÀ NHÂN RỘNG MÔ HÌNH, ĐIỂN HÌNH QUA CÁC NĂM")
    para(document, "1. Mô hình, điển hình qua các năm và theo lĩnh vực", bold=True, italic=True, indent=False)
    para(document, "{{ say.overview(r) }}")
    cells_table(document, "field_table", [10, 70, 20], total=True)
    # a paragraph between: two tables side by side are one table to Word and LibreOffice (the
    # first one's header repeated over the second's rows on the next page)
    para(document, "", 6, indent=False, space_after=0)
    cells_table(document, "stage_table", [18, 25, 22], size=10)
    para(document, "{{ chart_years }}", align=centre, space_after=0)
    para(document, "Biểu đồ 1. {{ chart_captions.years }}", 12, italic=True, align=centre, space_after=6)
    para(document, "{{ chart_fields }}", align=centre, space_after=0)
    para(document, "Biểu đồ 2. {{ chart_captions.fields }}", 12, italic=True, align=centre, space_after=6)

    para(document, "2. Mô hình, điển hình duy trì suốt giai đoạn", bold=True, italic=True, indent=False)
    para(document, "{{ say.maintained(r) }}")
    tag(document, "{%p if r.maintained %}")
    data_table(
        document,
        [
            "TT",
            "Mô hình, điển hình",
            "Mã mô hình",
            "Đơn vị",
            "Lĩnh vực",
            "Giai đoạn đầu",
            "Giai đoạn cuối",
            "Số nơi nhân rộng",
        ],
        [
            "{{ loop.index }}",
            "{{ m.name }}",
            "{{ m.code }}",
            "{{ m.unit }}",
            "{{ m.field }}",
            "{{ m.first_stage }}",
            "{{ m.last_stage }}",
            "{{ m.first_places }} → {{ m.last_places }}",
        ],
        [9, 40, 25, 30, 14, 22, 22, 18],
        "m in r.maintained",
        size=10,
    )
    tag(document, "{%p endif %}")

    para(
        document,
        "3. Mô hình, điển hình lên giai đoạn, được biểu dương, tôn vinh",
        bold=True,
        italic=True,
        indent=False,
    )
    para(document, "{{ say.advanced(r) }}")
    tag(document, "{%p if r.advanced %}")
    data_table(
        document,
        [
            "TT",
            "Mô hình, điển hình",
            "Mã mô hình",
            "Đơn vị",
            "Các năm báo cáo",
            "Giai đoạn trước",
            "Giai đoạn sau",
        ],
        [
            "{{ loop.index }}",
            "{{ m.name }}",
            "{{ m.code }}",
            "{{ m.unit }}",
            "{{ m.years }}",
            "{{ m.before }}",
            "{{ m.after }}",
        ],
        [9, 40, 25, 30, 22, 27, 27],
        "m in r.advanced",
        size=10,
    )
    tag(document, "{%p endif %}")
    para(document, "{{ say.honoured(r) }}")
    tag(document, "{%p if r.honoured %}")
    data_table(
        document,
        ["TT", "Mô hình, điển hình", "Mã mô hình", "Đơn vị", "Năm đạt", "Khen thưởng (số, ngày quyết định)"],
        [
            "{{ loop.index }}",
            "{{ m.name }}",
            "{{ m.code }}",
            "{{ m.unit }}",
            "{{ m.year }}",
            "{{ m.rewards | join('; ') if m.rewards else 'Chưa báo cáo khen thưởng' }}",
        ],
        [9, 40, 25, 30, 15, 61],
        "m in r.honoured",
        size=10,
    )
    tag(document, "{%p endif %}")

    para(document, "4. Nhân rộng mô hình, điển hình", bold=True, italic=True, indent=False)
    para(document, "{{ say.replication(r) }}")
    data_table(
        document,
        [
            "Năm",
            "Số mô hình, điển hình",
            "Mô hình đã nhân rộng",
            "Số nơi nhân rộng",
            "Tăng, giảm so với năm trước",
        ],
        ["{{ row[0] }}", "{{ row[1] }}", "{{ row[2] }}", "{{ row[3] }}", "{{ row[4] }}"],
        [25, 35, 35, 35, 35],
        "row in r.replication_table.rows",
    )
    para(document, "{{ chart_replications }}", align=centre, space_after=0)
    para(
        document, "Biểu đồ 3. {{ chart_captions.replications }}", 12, italic=True, align=centre, space_after=6
    )

    para(document, "5. Kết quả của từng đơn vị qua các năm", bold=True, italic=True, indent=False)
    para(document, "{{ say.quota(r) }}")
    cells_table(document, "unit_table", [9, 70, 16, 18], fixed=3, size=10)
    para(document, "Dấu * : năm đơn vị chưa đạt chỉ tiêu.", 12, indent=False)

    closing(document)

    appendix_title(document, "Phụ lục 1", "MÔ HÌNH, ĐIỂN HÌNH QUA TỪNG KỲ BÁO CÁO")
    tag(document, "{%p if not r.list_models %}")
    para(document, "{{ say.not_listed(r) }}")
    tag(document, "{%p elif not r.history.rows %}")
    para(document, "Không có mô hình, điển hình nào.")
    tag(document, "{%p else %}")
    cells_table(document, "history", [9, 55, 35, 14, 27], fixed=4, size=9)
    tag(document, "{%p endif %}")

    appendix_title(document, "Phụ lục 2", "NGUỒN SỐ LIỆU")
    para(
        document,
        "Mỗi kỳ báo cáo trong sổ theo dõi mô hình, với mã SHA-256 của tệp mo-hinh.jsonl trong thư mục "
        "kết quả của kỳ đó, để đối chiếu.",
        12,
        indent=False,
    )
    sources = data_table(
        document,
        ["TT", "Năm", "Thư mục", "Số mô hình", "SHA-256"],
        ["{{ s.n }}", "{{ s.year }}", "{{ s.folder }}", "{{ s.models }}", "{{ s.sha256 }}"],
        [10, 18, 40, 22, 75],
        "s in r.sources",
        size=10,
    )
    monospace_column(document, sources, 4, 8)
    tag(document, "{%p for year in r.years_missing %}")
    para(document, "{{ say.missing(year, r) }}", indent=False)
    tag(document, "{%p endfor %}")
    document.core_properties.author = ""
    document.save(path)


if __name__ == "__main__":
    build(HERE / "review.docx")
    print(f"Đã tạo {HERE / 'review.docx'}")
