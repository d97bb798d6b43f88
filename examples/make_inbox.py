#!/usr/bin/env python3
"""Make the realistic sample inbox in examples/inbox/ (annual report, 2026).

What it holds, so the figures of a run can be checked by hand:
- 15 units fill the standard workbook on time, mostly cleanly;
- 2 units send late (08/12 and 10/12/2026): dien-khanh and hoi-phu-nu;
- 1 unit never sends: hoi-ccb;
- nha-trang sends a first file with mistakes, then a corrected one (the first is superseded);
- a few rows with errors: a household field given to a person, a model built next year, a
  blank content, field 12, a repeated model, a totals row at the bottom (no row: it ends the list);
- van-ninh signs under its list, as units do: a totals row, then place and date, "Nơi nhận",
  "T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ", the signer's name, in columns B, J, M and N (no rows);
- khanh-son sends the standard workbook back empty (04/12): no report, the unit has not reported;
- one file built by hand (no Thông tin sheet, title rows, moved columns, fields typed as
  names, dates as text, old tone placement "Thị uỷ Ninh Hoà");
- one file from a unit that is not in the registry (Đảng ủy Khu kinh tế Vân Phong);
- last year's file dropped in by mistake (rejected), a scanned cover letter (PDF, rejected)
  and an Excel lock file (ignored);
- Tỉnh đoàn's report saved as the whole email it came in (.eml, sent 04/12 at 16:45), with a
  scanned cover letter attached (ignored);
- where LibreOffice is installed, one unit's file saved as .ods and one as .xls.

Run: python examples/make_inbox.py [--out examples/inbox]
For another registry (say the 2025 preset): python examples/make_inbox.py --schemas
presets/khanh-hoa-2025 builds examples/inbox-khanh-hoa-2025/: every unit sends but two, one
late, twelve type only their name the way people do ("Phường Cam Ranh", "ĐU P. Đông Ninh Hòa",
"Dang uy xa Phuoc Hau"...), and a unit not in the list.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator import config as config_module  # noqa: E402
from aggregator.model import SAMPLE_MARKER  # noqa: E402
from aggregator.rendering import template  # noqa: E402

YEAR = 2026

# field: (name, performer, content, results), realistic entries per field
MODELS: dict[int, list[tuple[str, str, str, str]]] = {
    1: [
        (
            "Một cửa liên thông hiện đại, không hẹn lần hai",
            "Bộ phận Tiếp nhận và trả kết quả",
            "Số hóa hồ sơ, trả kết quả qua bưu điện, nhắn tin báo hẹn cho người dân.",
            "98% hồ sơ trả đúng hạn, không có phản ánh.",
        ),
        (
            "Ngày thứ Sáu lắng nghe dân",
            "Văn phòng cấp ủy",
            "Lãnh đạo tiếp dân định kỳ sáng thứ Sáu, trả lời bằng văn bản trong 7 ngày.",
            "Giải quyết dứt điểm 42 kiến nghị.",
        ),
    ],
    2: [
        (
            "Sáng kiến tiết kiệm điện trong sản xuất",
            "Tổ cơ điện, Công ty Cổ phần Đường Khánh Hòa",
            "Cải tiến hệ thống bơm, lắp biến tần cho động cơ công suất lớn.",
            "Tiết kiệm 1,2 tỷ đồng tiền điện mỗi năm.",
        ),
        (
            "Người thợ giỏi tận tụy với nghề",
            "Anh Trần Văn Hùng, công nhân cơ khí",
            "Tự chế tạo đồ gá, truyền nghề cho 15 công nhân trẻ.",
            "Năng suất tổ tăng 20%.",
        ),
    ],
    3: [
        (
            "Hộ nuôi tôm hùm lồng theo hướng an toàn sinh học",
            "Hộ ông Nguyễn Văn Tư",
            "Nuôi tôm hùm lồng bằng thức ăn công nghiệp, xử lý nước đúng quy trình.",
            "Thu nhập 600 triệu đồng/năm, giúp 3 hộ thoát nghèo.",
        ),
        (
            "Hộ trồng xoài Úc cho thu nhập cao",
            "Hộ bà Lê Thị Hoa",
            "Chuyển đổi đất mía kém hiệu quả sang trồng xoài Úc, tưới nhỏ giọt.",
            "Thu nhập gấp 3 lần trồng mía.",
        ),
    ],
    4: [
        (
            "Tổ an ninh tự quản khu dân cư",
            "Tổ dân phố số 5",
            "Tuần tra đêm, camera an ninh do dân đóng góp, nhóm Zalo báo tin.",
            "Hai năm liền không có trộm cắp.",
        ),
        (
            "Dân quân tự vệ giỏi việc, giúp dân",
            "Trung đội dân quân cơ động",
            "Huấn luyện giỏi, giúp dân thu hoạch mùa, sửa nhà sau bão.",
            "Được Bộ Chỉ huy tặng Giấy khen.",
        ),
    ],
    5: [
        (
            "Thư viện xanh thân thiện",
            "Trường Tiểu học Phước Đồng",
            "Thư viện ngoài trời dưới tán cây, học sinh tự quản mượn trả sách.",
            "Mỗi học sinh đọc bình quân 20 cuốn sách/năm.",
        ),
        (
            "Cô giáo cắm bản dạy chữ cho học sinh dân tộc",
            "Cô Cao Thị Lan, giáo viên",
            "Mở lớp phụ đạo buổi tối, vận động học sinh ra lớp.",
            "Tỷ lệ chuyên cần 99%.",
        ),
    ],
    6: [
        (
            "Bệnh viện không khói thuốc, không phong bì",
            "Bệnh viện Đa khoa khu vực",
            "Niêm yết đường dây nóng, khảo sát hài lòng người bệnh hằng tháng.",
            "Mức độ hài lòng đạt 96%.",
        ),
        (
            "Bác sĩ gia đình của thôn",
            "Bác sĩ Phạm Minh Đức, Trạm Y tế xã",
            "Khám, tư vấn tại nhà cho người cao tuổi, người khuyết tật.",
            "Quản lý sức khỏe 320 người cao tuổi.",
        ),
    ],
    7: [
        (
            "Thanh niên khởi nghiệp với đặc sản yến sào",
            "Anh Võ Quốc Bảo",
            "Xây dựng thương hiệu yến sào, bán hàng qua sàn thương mại điện tử.",
            "Tạo việc làm cho 12 thanh niên.",
        ),
        (
            "Câu lạc bộ thanh niên khởi nghiệp",
            "Đoàn Thanh niên xã",
            "Kết nối vốn vay, tập huấn kỹ năng, cố vấn dự án cho đoàn viên.",
            "8 dự án được vay vốn.",
        ),
    ],
    8: [
        (
            "Thôn văn hóa kiểu mẫu",
            "Thôn Phú Ân Nam",
            "Thực hiện tốt hương ước, xây dựng cảnh quan xanh - sạch - đẹp.",
            "Đạt chuẩn thôn nông thôn mới kiểu mẫu.",
        ),
        (
            "Tổ dân phố không rác thải nhựa",
            "Tổ dân phố Vĩnh Phước 3",
            "Phân loại rác tại nguồn, đổi rác lấy cây xanh.",
            "Giảm 40% rác thải nhựa.",
        ),
    ],
    9: [
        (
            "Hiến đất mở đường giao thông nông thôn",
            "Ông Nguyễn Đình Lộc",
            "Tự nguyện hiến 500 m² đất, vận động bà con cùng làm đường.",
            "Mở rộng 2 km đường liên thôn.",
        ),
        (
            "Xã nông thôn mới nâng cao",
            "Ủy ban nhân dân xã Diên Lạc",
            "Huy động nguồn lực xã hội hóa, ưu tiên tiêu chí môi trường.",
            "Đạt chuẩn nông thôn mới nâng cao.",
        ),
    ],
    10: [
        (
            "Dòng họ học tập",
            "Dòng họ Trần ở thôn Phú Bình",
            "Lập quỹ khuyến học của dòng họ, khen thưởng con cháu học giỏi.",
            "Hằng năm khen thưởng trên 60 cháu.",
        ),
        (
            "Câu lạc bộ gia đình hạnh phúc",
            "Câu lạc bộ Gia đình hạnh phúc phường",
            "Sinh hoạt chuyên đề phòng chống bạo lực gia đình hằng tháng.",
            "Không có vụ bạo lực gia đình.",
        ),
    ],
    11: [
        (
            "Người tốt việc tốt: cứu người trên biển",
            "Ngư dân Huỳnh Văn Sáu",
            "Kịp thời cứu 5 thuyền viên gặp nạn trong bão.",
            "Được UBND tỉnh tặng Bằng khen.",
        ),
        (
            "Bếp ăn miễn phí cho bệnh nhân nghèo",
            "Bà Đặng Thị Mai",
            "Nấu cơm miễn phí mỗi trưa cho bệnh nhân nghèo tại bệnh viện.",
            "Hơn 30.000 suất cơm mỗi năm.",
        ),
    ],
}
DIFFICULTIES = [
    "Kinh phí hỗ trợ xây dựng mô hình còn hạn chế; việc nhân rộng ở vùng sâu, vùng xa gặp khó khăn.",
    "Một số cơ sở chưa quan tâm đúng mức việc phát hiện, bồi dưỡng điển hình mới.",
    "Công tác tuyên truyền trên báo chí về các mô hình còn ít.",
]
PROPOSALS = [
    "Đề nghị Ban Tuyên giáo và Dân vận Tỉnh ủy tổ chức hội nghị biểu dương các điển hình tiêu biểu.",
    "Đề nghị có kinh phí hỗ trợ nhân rộng các mô hình hiệu quả.",
    "Đề nghị báo Khánh Hòa mở chuyên mục giới thiệu các mô hình, điển hình.",
]
STATUS = ["Đăng ký mới", "Duy trì, phát huy"]
STAGE = ["Phát hiện, bồi dưỡng", "Giới thiệu, nhân rộng", "Biểu dương, tôn vinh"]


COLLECTIVES = (
    "Bộ phận",
    "Văn phòng",
    "Tổ",
    "Trung đội",
    "Trường",
    "Bệnh viện",
    "Đoàn",
    "Thôn",
    "Ủy ban",
    "Dòng họ",
    "Câu lạc bộ",
    "Chi",
)


def subject_for(field: int, performer: str) -> str:
    """Who performs it decides the subject, within what the field allows."""
    if field == 3 or performer.startswith("Hộ"):
        return "Hộ gia đình"
    if field == 8 or performer.startswith(COLLECTIVES):
        return "Tập thể"
    return "Cá nhân"


def model_row(rng: random.Random, field: int, index: int) -> dict[str, object]:
    name, performer, content, results = MODELS[field][index % len(MODELS[field])]
    status = rng.choice(STATUS)
    year = YEAR if status == "Đăng ký mới" else rng.choice([2021, 2022, 2023, 2024, 2025])
    stage = rng.choice(STAGE[:1] if status == "Đăng ký mới" else STAGE)
    reward = "Bằng khen UBND tỉnh" if stage == "Biểu dương, tôn vinh" else None
    return {
        "name": name,
        "field": f"{field} - {FIELD_NAMES[field]}",
        "subject": subject_for(field, performer),
        "performer": performer,
        "location": rng.choice(
            [
                "Xã Ninh Ích",
                "Phường Vĩnh Hải",
                "Xã Cam Hải Tây",
                "Thị trấn Diên Khánh",
                "Xã Sơn Thái",
                "Phường Cam Lộc",
            ]
        ),
        "year_built": year,
        "status": status,
        "stage": stage,
        "content": content,
        "results": results,
        "rating": rng.choice(["Tốt", "Tốt", "Khá"]),
        "replications": rng.randint(1, 9) if stage != "Phát hiện, bồi dưỡng" else 0,
        "reward_form": reward,
        "reward_decision": f"QĐ số {rng.randint(100, 3000)}/QĐ-UBND ngày 15/10/{YEAR}" if reward else None,
        "publicised": rng.choice(["Có", "Không"]),
    }


def fill(
    path: Path,
    cfg,
    unit_code: str | None,
    rows: list[dict[str, object]],
    report_date: str,
    assessment: tuple[str, str, str],
    info: dict[str, object] | None = None,
) -> None:
    """Fill a standard workbook as a unit does in Excel: open, type, save."""
    book = openpyxl.load_workbook(path)
    info_sheet = book[cfg.sheets["info"]]
    labels = {cell.value: cell.row for cell in info_sheet["A"] if cell.value}
    typed = {
        "Ngày báo cáo": report_date,
        "Người lập biểu": "Nguyễn Thị Thu",
        "Điện thoại": "0258 3822 111",
        "Email": "vanphong@example.vn",
        **(info or {}),
    }
    for label, value in typed.items():
        info_sheet.cell(labels[label], 2, value)
    listing = book[cfg.sheets["list"]]
    keys = [c.key for c in cfg.columns]
    for i, row in enumerate(rows):
        for j, key in enumerate(keys, start=1):
            value = i + 1 if key == "seq" else row.get(key)
            if value is not None:
                cell = listing.cell(6 + i, j, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # typed text, as Excel stores a leading apostrophe
    answers = book[cfg.sheets["assessment"]]
    for i, text in enumerate(assessment, start=1):
        answers.cell(i, 2, text)
    book.save(path)


def rows_for(rng: random.Random, count: int) -> list[dict[str, object]]:
    fields = rng.sample(range(1, 12), k=min(count, 11))
    return [model_row(rng, f, rng.randint(0, 1)) for f in fields]


def standard(
    cfg, out: Path, code: str, filename: str, rows, date: str, rng, info: dict[str, object] | None = None
) -> Path:
    path = out / filename
    template.write_template(cfg, path, YEAR, "annual", cfg.unit(code))
    fill(
        path,
        cfg,
        code,
        rows,
        date,
        (
            rng.choice(
                [
                    "Các mô hình được triển khai đồng bộ, có sức lan tỏa.",
                    "Nhiều mô hình mới gắn với chuyển đổi số.",
                ]
            ),
            rng.choice(DIFFICULTIES),
            rng.choice(PROPOSALS),
        ),
        info,
    )
    return path


def handmade(out: Path) -> Path:
    """A unit that built its own table: no info sheet, title rows, columns moved, NFD text."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet["A1"] = "THỊ UỶ NINH HOÀ"
    sheet["A2"] = "Đơn vị: Thị uỷ Ninh Hoà"
    sheet["A3"] = "DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH NĂM 2026"
    sheet["A4"] = "Ngày báo cáo: 02/12/2026"
    headers = [
        "STT",
        "Tên mô hình",
        "Tập thể, cá nhân thực hiện",
        "Lĩnh vực",
        "Đối tượng",
        "Năm xây dựng",
        "Tình trạng",
        "Giai đoạn",
        "Nội dung, cách làm",
        "Số nơi nhân rộng",
        "Ghi chú thêm",
    ]
    sheet.append([])
    sheet.append(headers)
    sheet.append([f"({i})" for i in range(1, len(headers) + 1)])
    nfd = unicodedata.normalize("NFD", "Gia đình văn hoá tiêu biểu")
    data = [
        [
            1,
            "Chợ quê không túi ni lông",
            "Chi hội Phụ nữ thôn Tân Phước",
            "thôn, tổ dân phố",
            "tập thể",
            "2025",
            "Duy trì phát huy",
            "Giới thiệu, nhân rộng",
            "Vận động tiểu thương dùng túi giấy, giỏ tre.",
            3,
            "",
        ],
        [
            2,
            nfd,
            "Gia đình ông Lê Văn Ba",
            "10",
            "Hộ gia đình",
            2026.0,
            "Đăng ký mới",
            "phát hiện, bồi dưỡng",
            "Gia đình ba thế hệ gương mẫu, con cháu học giỏi.",
            None,
            "",
        ],
        [
            3,
            "Ngư dân bám biển giữ chủ quyền",
            "Anh Phan Văn Tám",
            "Người tốt, việc tốt",
            "Cá nhân",
            "2024",
            "Duy trì, phát huy",
            "Biểu dương, tôn vinh",
            "Đánh bắt xa bờ, báo tin tàu lạ cho Biên phòng.",
            2,
            "Đã được khen",
        ],
    ]
    for row in data:
        sheet.append(row)
    path = out / "Ninh Hoa - DS mo hinh 2026.xlsx"
    book.save(path)
    return path


def _start(out: Path, schemas: Path, seed: int) -> tuple[config_module.Config, random.Random]:
    """The registry and field names of ``schemas``, a seeded random source, an empty ``out``."""
    cfg = config_module.load(schemas)
    global FIELD_NAMES
    FIELD_NAMES = {f.code: f.name for f in cfg.fields}
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # the mark that makes every report from this inbox say it is a sample (model.SAMPLE_MARKER)
    (out / SAMPLE_MARKER).write_text(SAMPLE_NOTE, encoding="utf-8")
    return cfg, random.Random(seed)


SAMPLE_NOTE = (
    "Thư mục này là hộp thư MẪU: các tệp trong đó là dữ liệu minh họa, không phải báo cáo\n"
    "thật của đơn vị nào. Tệp du-lieu-mau.txt này đánh dấu điều đó: báo cáo tổng hợp từ thư\n"
    'mục này in dòng "BẢN MẪU — dữ liệu minh họa" ở đầu báo cáo.\n'
    "Đừng chép tệp này vào inbox/ thật của Ban.\n"
)


def make(out: Path) -> None:
    cfg, rng = _start(out, ROOT / "schemas", 235)
    on_time = [
        "ubnd-tinh",
        "cam-ranh",
        "van-ninh",
        "cam-lam",
        "khanh-vinh",
        "truong-sa",
        "khoi-co-quan",
        "khoi-doanh-nghiep",
        "quan-su",
        "cong-an",
        "bien-phong",
        "mttq",
        "ldld",
        "tinh-doan",
        "hoi-nong-dan",
    ]
    names = {
        "cam-lam": "BC mo hinh dien hinh 2026 - HU Cam Lam.xlsx",
        "tinh-doan": "Báo cáo mô hình điển hình năm 2026 - Tỉnh đoàn.xlsx",
    }
    special: dict[str, list[dict[str, object]]] = {}
    for i, code in enumerate(on_time):
        rows = rows_for(rng, rng.randint(3, 6))
        special[code] = rows
        day = 1 + i % 5
        filename = names.get(code, f"{code}-bao-cao-mo-hinh-{YEAR}.xlsx")
        standard(cfg, out, code, filename, rows, f"0{day}/12/{YEAR}", rng)

    # Rows with errors, one kind each, in three on-time units' files (files rebuilt).
    bad = special["van-ninh"] + [
        {**model_row(rng, 3, 0), "subject": "Cá nhân"},  # field 3 allows households only
        {**model_row(rng, 5, 1), "year_built": YEAR + 1},  # built next year
    ]
    standard(cfg, out, "van-ninh", f"van-ninh-bao-cao-mo-hinh-{YEAR}.xlsx", bad, "03/12/2026", rng)
    bad = special["cong-an"] + [
        {**model_row(rng, 4, 0), "content": None},  # required content left blank
        {**model_row(rng, 4, 1), "field": 12},  # no field 12
        dict(special["cong-an"][0]),  # the same model again
        {"name": "Tổng cộng", "replications": 20},  # a totals row
    ]
    standard(cfg, out, "cong-an", f"cong-an-bao-cao-mo-hinh-{YEAR}.xlsx", bad, "04/12/2026", rng)
    hostile = special["ldld"] + [
        {
            **model_row(rng, 2, 0),
            "name": '=HYPERLINK("http://x","Bấm")',
            "note": "<script>alert('x')</script> ghi chú",
        }
    ]
    standard(cfg, out, "ldld", f"ldld-bao-cao-mo-hinh-{YEAR}.xlsx", hostile, "02/12/2026", rng)

    # Late units.
    standard(
        cfg, out, "dien-khanh", "HU Dien Khanh - bao cao (gui muon).xlsx", rows_for(rng, 4), "08/12/2026", rng
    )
    standard(cfg, out, "hoi-phu-nu", "Hoi LHPN tinh - mo hinh 2026.xlsx", rows_for(rng, 5), "10/12/2026", rng)

    # Nha Trang: a first file with a mistake, then a corrected one.
    rows = rows_for(rng, 5)
    first = [*rows[:-1], {**rows[-1], "stage": "Đang làm"}]
    sub = out / "nha-trang"
    sub.mkdir()
    standard(
        cfg, sub, "nha-trang", "Thanh uy Nha Trang - bao cao mo hinh 2026.xlsx", first, "01/12/2026", rng
    )
    standard(
        cfg,
        sub,
        "nha-trang",
        "Thanh uy Nha Trang - bao cao mo hinh 2026 (sua lai).xlsx",
        rows,
        "04/12/2026",
        rng,
    )
    (sub / "Cong van kem theo.pdf").write_bytes(
        b"%PDF-1.4\n% Cong van cua Thanh uy Nha Trang (ban scan)\n%%EOF\n"
    )
    (sub / "~$Thanh uy Nha Trang - bao cao mo hinh 2026 (sua lai).xlsx").write_bytes(
        b"\x0eNguyen Thi Thu" + b"\x00" * 40
    )

    as_email(out / names["tinh-doan"], "tinhdoan@khanhhoa.gov.vn", "Fri, 04 Dec 2026 16:45:00 +0700")
    handmade(out)
    # A unit not in the registry.
    unknown = out / "DU Khu kinh te Van Phong - mo hinh.xlsx"
    template.write_template(cfg, unknown, YEAR, "annual")
    fill(
        unknown,
        cfg,
        None,
        rows_for(rng, 3),
        "03/12/2026",
        ("", "", ""),
        {"Tên đơn vị": "Đảng ủy Khu kinh tế Vân Phong"},
    )
    # Last year's file dropped in by mistake.
    old = out / "cam-ranh-bao-cao-2025.xlsx"
    template.write_template(cfg, old, YEAR - 1, "annual", cfg.unit("cam-ranh"))
    fill(old, cfg, "cam-ranh", rows_for(rng, 3), "02/12/2025", ("", "", ""))
    # (below: nothing random, so the files above stay what they were)
    sign(out / f"van-ninh-bao-cao-mo-hinh-{YEAR}.xlsx", cfg, "Vạn Ninh, ngày 03 tháng 12 năm 2026")
    empty = out / f"khanh-son-bao-cao-mo-hinh-{YEAR}.xlsx"  # the standard workbook sent back empty
    template.write_template(cfg, empty, YEAR, "annual", cfg.unit("khanh-son"))
    fill(empty, cfg, "khanh-son", [], "04/12/2026", ("", "", ""))
    _office_formats(out)


def sign(path: Path, cfg, place_date: str) -> None:
    """A totals row and the signature block under the list, where units put them (B, J, M, N)."""
    book = openpyxl.load_workbook(path)
    listing = book[cfg.sheets["list"]]
    last = max(c.row for row in listing.iter_rows(min_row=6) for c in row if c.value is not None)
    block = [
        {2: "Tổng cộng", 13: 9},
        {},
        {14: place_date},
        {2: "Nơi nhận:", 14: "T/M BAN THƯỜNG VỤ"},
        {2: "- Ban Tuyên giáo và Dân vận Tỉnh ủy;", 14: "PHÓ BÍ THƯ"},
        {2: "- Lưu VP.", 10: "(Ký tên, đóng dấu)"},
        {},
        {14: "Nguyễn Văn Hùng"},
    ]
    for i, cells in enumerate(block, start=last + 1):
        for column, value in cells.items():
            listing.cell(i, column, value)
    book.save(path)


def as_email(workbook_path: Path, sender: str, date: str) -> Path:
    """The unit's workbook saved by staff as the whole email it came in, cover letter included."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"] = f"Văn phòng <{sender}>", "btgdv@khanhhoa.gov.vn"
    message["Subject"], message["Date"] = "Báo cáo mô hình, điển hình năm 2026", date
    message.set_content(
        "Kính gửi Ban Tuyên giáo và Dân vận Tỉnh ủy,\nĐơn vị gửi báo cáo và công văn kèm theo.\nTrân trọng."
    )
    message.add_attachment(
        workbook_path.read_bytes(),
        "application",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=workbook_path.name,
    )
    message.add_attachment(
        b"%PDF-1.4\n% Cong van (ban scan)\n%%EOF\n", "application", "pdf", filename="Công văn gửi kèm.pdf"
    )
    target = workbook_path.with_suffix(".eml")
    target.write_bytes(bytes(message))
    workbook_path.unlink()
    return target


def _office_formats(out: Path) -> None:
    """Two units' files saved by LibreOffice as .ods and .xls, when LibreOffice is here."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("LibreOffice không có: bỏ qua bản .ods và .xls.")
        return
    for code, kind in (("khoi-co-quan", "ods"), ("mttq", "xls")):
        source = out / f"{code}-bao-cao-mo-hinh-{YEAR}.xlsx"
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [
                    soffice,
                    "--headless",
                    f"-env:UserInstallation=file://{tmp}/u",
                    "--convert-to",
                    kind,
                    "--outdir",
                    str(out),
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=180,
            )
        source.unlink()


# How units of the 2025 registry write their name when they type no code (preset
# presets/khanh-hoa-2025): each must be credited to its unit, none to another.
WRITTEN_2025 = {
    "cam-ranh": "Phường Cam Ranh",
    "ninh-hoa": "Đảng ủy Ninh Hòa",
    "dong-ninh-hoa": "ĐU P. Đông Ninh Hòa",
    "nam-khanh-vinh": "Xã Nam Khánh Vĩnh",
    "khanh-vinh": "Đảng ủy Khánh Vĩnh",
    "bac-ai-dong": "Xã Bác Ái Đông",
    "phuoc-hau": "Dang uy xa Phuoc Hau",
    "nha-trang": "Phường Nha Trang",
    "bac-nha-trang": "Đảng bộ phường Bắc Nha Trang",
    "phuoc-ha": "Xã Phước Hà",
    "phuoc-huu": "ĐẢNG UỶ XÃ PHƯỚC HỮU",
    "truong-sa": "Đặc khu Trường Sa",
}


def make_registry(out: Path, schemas: Path) -> dict[str, str]:
    """A sample inbox for any registry: every unit sends, but two; some type their name only.

    Answers, for each file written, the unit it comes from ("" for the unit not in the list).
    """
    cfg, rng = _start(out, schemas, 1667)
    codes = [u.code for u in cfg.units]
    missing = set(codes[-2:]) if len(codes) > 4 else set()
    late = codes[len(codes) // 2] if len(codes) > 4 else None
    sent: dict[str, str] = {}
    for i, code in enumerate(c for c in codes if c not in missing):
        written = WRITTEN_2025.get(code)
        filename = f"{code}-bao-cao-mo-hinh-{YEAR}.xlsx"
        if written:
            filename = f"Bao cao mo hinh {YEAR} - {i + 1:02d}.xlsx"  # names nothing itself
        date = "08/12/2026" if code == late else f"0{1 + i % 4}/12/{YEAR}"
        rows = rows_for(rng, rng.randint(3, 5))
        if written:  # started from the blank workbook, typed the name only
            template.write_template(cfg, out / filename, YEAR, "annual")
            fill(out / filename, cfg, None, rows, date, ("", "", ""), {"Tên đơn vị": written})
        else:
            standard(cfg, out, code, filename, rows, date, rng)
        sent[filename] = code
    unknown = out / "DU Khu kinh te Van Phong - mo hinh.xlsx"
    template.write_template(cfg, unknown, YEAR, "annual")
    fill(
        unknown,
        cfg,
        None,
        rows_for(rng, 3),
        "03/12/2026",
        ("", "", ""),
        {"Tên đơn vị": "Đảng ủy Khu kinh tế Vân Phong"},
    )
    sent[unknown.name] = ""
    return sent


FIELD_NAMES: dict[int, str] = {}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Tạo hộp thư mẫu examples/inbox.")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--schemas",
        type=Path,
        default=None,
        help="thư mục cấu hình của danh sách đơn vị khác, ví dụ "
        "presets/khanh-hoa-2025 (hộp thư mẫu ở examples/inbox-<tên thư mục>)",
    )
    args = parser.parse_args()
    if args.schemas is None:
        make(args.out or ROOT / "examples" / "inbox")
    else:
        make_registry(args.out or ROOT / "examples" / f"inbox-{args.schemas.name}", args.schemas)
    print("Đã tạo hộp thư mẫu.")
