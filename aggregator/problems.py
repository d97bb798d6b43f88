"""Problems as data: one record type, one catalogue of codes with Vietnamese messages.

Every problem found in a file or a row becomes a ``Problem``; nothing stops at the first one.
Tests assert on ``code``; users read ``message``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"

# code: (default severity, Vietnamese message template). Templates say what happened and what to do.
CATALOGUE: dict[str, tuple[str, str]] = {
    # Files
    "file_not_workbook": (ERROR, "Tệp không phải bảng tính Excel/LibreOffice ({detail}). Đề nghị đơn vị gửi lại tệp .xlsx theo biểu mẫu."),
    "file_unreadable": (ERROR, "Không mở được tệp: tệp bị hỏng hoặc chưa lưu xong ({detail}). Đề nghị đơn vị mở lại bằng Excel, lưu thành .xlsx và gửi lại."),
    "file_crashed_reader": (ERROR, "Đọc tệp này làm chương trình đọc bị dừng đột ngột (tệp quá lớn, hỏng hoặc có cấu trúc bất thường); tệp bị bỏ qua, các tệp khác vẫn được tổng hợp. Đề nghị đơn vị mở lại bằng Excel, lưu thành .xlsx mới và gửi lại."),
    "file_outlook_msg": (ERROR, "Thư lưu dạng Outlook (.msg) chưa đọc được. Trong Outlook, lưu thư dạng .eml (Tệp > Lưu thành) hoặc lưu riêng tệp đính kèm vào inbox rồi chạy lại."),
    "file_encrypted": (ERROR, "Tệp có đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi gửi lại."),
    "file_empty": (ERROR, "Tệp rỗng (0 byte). Đề nghị đơn vị gửi lại tệp đã điền."),
    "file_too_large": (ERROR, "Tệp quá lớn ({size}), vượt giới hạn {limit}. Đề nghị đơn vị xóa ảnh, trang thừa rồi gửi lại."),
    "file_bomb": (ERROR, "Tệp có dấu hiệu bất thường (giải nén ra {size}, tỉ lệ nén {ratio}) nên không được mở để bảo đảm an toàn. Đề nghị đơn vị lưu lại tệp từ biểu mẫu chuẩn."),
    "file_xml_entities": (ERROR, "Tệp chứa khai báo XML bất thường ({part}) mà bảng tính thông thường không có, nên không được mở để bảo đảm an toàn. Đề nghị đơn vị lưu lại tệp từ biểu mẫu chuẩn."),
    "sheet_too_large": (ERROR, "Trang \"{sheet}\" quá lớn ({rows} dòng × {columns} cột, giới hạn {max_rows} × {max_columns}). Đề nghị đơn vị xóa các dòng, cột thừa."),
    "header_not_found": (ERROR, "Không tìm thấy bảng danh sách mô hình, điển hình: không có dòng tiêu đề nào chứa các cột {expected}. Đề nghị đơn vị dùng đúng biểu mẫu chuẩn."),
    "column_missing": (ERROR, "Bảng danh sách thiếu cột bắt buộc \"{column}\". Đề nghị đơn vị bổ sung cột này theo biểu mẫu chuẩn."),
    "sheet_ignored": (WARNING, "Trang \"{sheet}\" giống một bảng danh sách nhưng thiếu cột {columns} nên các dòng ở đó không được tính. Nếu đó là danh sách mô hình, đề nghị đơn vị chuyển vào trang \"Danh sách\"."),
    "unit_missing": (ERROR, "Không xác định được đơn vị gửi: tệp không ghi mã đơn vị, tên đơn vị. Đề nghị đơn vị điền trang \"Thông tin\"."),
    "unit_unknown": (ERROR, "Đơn vị \"{value}\" không có trong danh sách đơn vị báo cáo. Nếu đây là đơn vị mới, bổ sung vào schemas/units.yaml rồi chạy lại."),
    "unit_ambiguous": (ERROR, "Tên đơn vị \"{value}\" khớp với nhiều đơn vị ({candidates}). Đề nghị đơn vị ghi đúng mã đơn vị."),
    "unit_conflict": (ERROR, "Mã đơn vị \"{unit_code}\" ({code_name}) mâu thuẫn với tên đơn vị \"{value}\". Đề nghị đơn vị kiểm tra lại trang \"Thông tin\"."),
    "unit_by_filename": (WARNING, "Tệp không ghi đơn vị; đã nhận là {unit} theo tên tệp. Đề nghị đơn vị điền trang \"Thông tin\"."),
    "unit_by_loose_name": (WARNING, "Tên đơn vị \"{value}\" viết không dấu hoặc khác mẫu; đã nhận là {unit}."),
    "sender_unregistered": (WARNING, "Thư gửi từ địa chỉ {value}, không phải địa chỉ đã đăng ký của {unit} ({registered}). Kiểm tra lại người gửi; nếu đúng, bổ sung địa chỉ vào schemas/units.yaml."),
    "year_mismatch": (ERROR, "Tệp là báo cáo năm {value}, không phải năm {expected} đang tổng hợp (có thể gửi nhầm tệp cũ)."),
    "period_mismatch": (ERROR, "Tệp là báo cáo kỳ \"{value}\", không phải kỳ \"{expected}\" đang tổng hợp."),
    "year_assumed": (WARNING, "Tệp không ghi năm báo cáo; đã coi là năm {expected}."),
    "period_assumed": (WARNING, "Tệp không ghi kỳ báo cáo; đã coi là kỳ \"{expected}\"."),
    "info_invalid": (WARNING, "Ô \"{column}\" có giá trị \"{value}\" không đọc được; đã bỏ qua."),
    "file_superseded": (WARNING, "Đơn vị đã gửi tệp mới hơn ({newer}); tệp này được lưu lại nhưng không dùng để tổng hợp."),
    "legacy_font": (WARNING, "Tệp gõ bằng phông chữ cũ {fonts}; đã chuyển {count} ô sang Unicode. Đề nghị đơn vị dùng phông Unicode (Times New Roman) ở lần sau."),
    "no_rows": (WARNING, "Bảng danh sách không có dòng mô hình, điển hình nào."),
    # Rows and cells
    "formula_without_value": (ERROR, "Cột \"{column}\" có công thức {formula} nhưng tệp không lưu kết quả tính (tệp được lưu bởi phần mềm không tính công thức). Đề nghị đơn vị mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi gửi."),
    "required_missing": (ERROR, "Cột \"{column}\" bắt buộc nhưng bỏ trống."),
    "field_invalid": (ERROR, "Lĩnh vực \"{value}\" không hợp lệ. Ghi số từ 1 đến 11 hoặc chọn trong danh sách: {allowed}."),
    "choice_invalid": (ERROR, "Cột \"{column}\": \"{value}\" không phải lựa chọn hợp lệ. Chọn một trong: {allowed}."),
    "choice_guessed": (WARNING, "Cột \"{column}\": \"{value}\" không đúng chữ trong danh sách; đã hiểu là \"{read_as}\". Đề nghị chọn từ danh sách thả xuống."),
    "subject_not_allowed": (ERROR, "Đối tượng \"{value}\" không thuộc lĩnh vực {field}; lĩnh vực này chỉ nhận: {allowed}."),
    "year_invalid": (ERROR, "Năm xây dựng \"{value}\" không phải một năm (ví dụ 2024)."),
    "year_after_report_year": (ERROR, "Năm xây dựng {value} sau năm báo cáo {year}."),
    "new_not_report_year": (WARNING, "Tình trạng \"Đăng ký mới\" nhưng năm xây dựng là {value}, không phải {year}. Kiểm tra lại: có phải \"Duy trì, phát huy\"?"),
    "number_invalid": (ERROR, "Cột \"{column}\": \"{value}\" không phải số nguyên không âm."),
    "replicated_without_places": (WARNING, "Giai đoạn \"Giới thiệu, nhân rộng\" nhưng số nơi nhân rộng là 0."),
    "reward_without_decision": (WARNING, "Có hình thức khen thưởng nhưng chưa ghi số, ngày quyết định khen thưởng."),
    "duplicate_model": (ERROR, "Mô hình trùng với dòng {first_row} (cùng tên và lĩnh vực); dòng này không được tính."),
    "totals_row": (ERROR, "Dòng tổng cộng, không phải một mô hình; không tính."),
    # Across periods: the register of models (outbox/so-mo-hinh.sqlite)
    "model_code_unknown": (ERROR, "Mã mô hình \"{value}\" không có trong sổ theo dõi mô hình của Ban. Giữ đúng mã đã điền sẵn trong biểu mẫu; mô hình mới thì để trống ô mã."),
    "model_code_other_unit": (ERROR, "Mã mô hình \"{value}\" là mã của {owner}, không phải của đơn vị này. Giữ đúng mã đã điền sẵn trong biểu mẫu của đơn vị; mô hình mới thì để trống ô mã."),
    "model_code_duplicate": (ERROR, "Mã mô hình \"{value}\" đã ghi ở dòng {first_row}; mỗi mô hình một mã, dòng này không được tính."),
    "continuing_unmatched": (WARNING, "Tình trạng \"Duy trì, phát huy\" nhưng không thấy mô hình này trong báo cáo {against}. Kiểm tra lại tên, lĩnh vực hoặc ghi mã mô hình; nếu là mô hình mới, chọn \"Đăng ký mới\"."),
    "new_already_registered": (WARNING, "Tình trạng \"Đăng ký mới\" nhưng mô hình đã có trong sổ theo dõi (mã {model}, báo cáo {since}). Kiểm tra lại: có phải \"Duy trì, phát huy\"?"),
    "stage_backwards": (WARNING, "Giai đoạn \"{value}\" lùi so với báo cáo {against} (\"{before}\"). Kiểm tra lại giai đoạn."),
    "replications_down": (WARNING, "Số nơi nhân rộng {value} ít hơn báo cáo {against} ({before}). Kiểm tra lại số liệu."),
    "year_built_changed": (WARNING, "Năm xây dựng {value} khác báo cáo {against} ({before}). Kiểm tra lại năm bắt đầu xây dựng mô hình."),
    "model_name_close": (WARNING, "Tên mô hình gần giống mô hình \"{before}\" (mã {model}) trong báo cáo {against}. Nếu là cùng một mô hình, ghi mã {model} vào cột \"Mã mô hình\"; chương trình không tự nối."),
    "model_not_reported": (WARNING, "Mô hình \"{value}\" (mã {model}, lĩnh vực {field}) có trong báo cáo {against} nhưng không có trong báo cáo kỳ này. Nếu mô hình vẫn duy trì, đề nghị bổ sung; nếu đã dừng, ghi rõ để Ban theo dõi."),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, a row or a cell, said in Vietnamese."""

    code: str
    severity: str
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def make(code: str, *, severity: str | None = None, file: str = "", sheet: str = "",
         cell: str = "", row: int | None = None, column: str = "", value: object = "",
         **params: object) -> Problem:
    """A problem from the catalogue, its message filled from the parameters."""
    default, template = CATALOGUE[code]
    shown = "" if value is None else str(value)
    message = template.format(value=shown, column=column, sheet=sheet, **params)
    return Problem(code=code, severity=severity or default, message=message, file=file,
                   sheet=sheet, cell=cell, row=row, column=column, value=shown)
