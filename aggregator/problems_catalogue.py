"""The problem catalogue as data: every code with its severity and its Vietnamese texts.

Only the table lives here (and the two small types it is written in); ``aggregator.problems``
makes ``Problem`` records from it and is where every module imports ``ProblemCode`` from. Each
member carries, besides its severity and message template, the few words that name it in
workbooks (``heading``; ``title`` would hide ``str.title``), what Board staff should do about
it (``staff_hint``: the terminal summary and the manifest only, never the report or a unit's
email), and whether it explains what became of an entry (``explains_fate``: shown beside the
entry wherever its fate is listed, like the errors). A new code is one member added at the end
of ``ProblemCode``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"  # the row or file is not counted
    WARNING = "warning"  # counted; the unit is told


class Text(NamedTuple):
    severity: Severity  # the default; schemas/workbook.yaml ``rules:`` may change it
    message: str  # what happened and what to do, with {placeholders}
    title: str = ""
    staff_hint: str = ""
    explains_fate: bool = False
    # schemas/workbook.yaml ``rules:`` may set its severity: a judgement call, of a row, across
    # periods or of a whole file. Never a safety refusal (a bomb, a password, a file too large or
    # too slow to read, an unreadable file) nor a fact (a file superseded or tied, no unit found,
    # another year or period, a sheet too large to read, a text cut at a cell's limit): a rule
    # naming one of those is refused when the schemas are loaded.
    configurable: bool = False
    # whether ``rules:`` may make it an error: not for a problem found after the files' fates
    # are decided (a model of last time not reported), which could reject nothing
    may_reject: bool = True


class ProblemCode(StrEnum):
    """A problem's code (its value is what the manifest and summary say) and its texts."""

    severity: Severity
    template: str
    heading: str
    staff_hint: str
    explains_fate: bool
    configurable: bool
    may_reject: bool

    def __new__(cls, value: str, text: Text) -> ProblemCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity, member.template = text.severity, text.message
        member.heading = text.title or ("Lỗi" if text.severity == Severity.ERROR else "Lưu ý")
        member.staff_hint, member.explains_fate = text.staff_hint, text.explains_fate
        member.configurable, member.may_reject = text.configurable, text.may_reject
        return member

    @classmethod
    def of(cls, value: str) -> ProblemCode:
        """The member whose value this is (ValueError for a code the catalogue does not have)."""
        return cls(value)  # type: ignore[call-arg]  # a lookup by value: mypy reads the members' __new__

    # Files
    FILE_NOT_WORKBOOK = (
        "file_not_workbook",
        Text(
            Severity.ERROR,
            "Tệp không phải bảng tính Excel/LibreOffice ({detail}). Đề nghị đơn vị gửi lại tệp .xlsx theo biểu mẫu.",
            title="Không phải bảng tính",
        ),
    )
    FILE_UNREADABLE = (
        "file_unreadable",
        Text(
            Severity.ERROR,
            "Không mở được tệp: tệp bị hỏng hoặc chưa lưu xong ({detail}). Đề nghị đơn vị mở lại bằng Excel, lưu thành .xlsx và gửi lại.",
            title="Tệp hỏng",
        ),
    )
    FILE_CRASHED_READER = (
        "file_crashed_reader",
        Text(
            Severity.ERROR,
            "Đọc tệp này làm chương trình đọc bị dừng đột ngột (tệp quá lớn, hỏng hoặc có cấu trúc bất thường); tệp bị bỏ qua, các tệp khác vẫn được tổng hợp. Đề nghị đơn vị mở lại bằng Excel, lưu thành .xlsx mới và gửi lại.",
            title="Tệp làm dừng chương trình đọc",
        ),
    )
    FILE_OUTLOOK_MSG = (
        "file_outlook_msg",
        Text(
            Severity.ERROR,
            "Thư lưu dạng Outlook (.msg) chưa đọc được.",
            title="Thư Outlook .msg",
            staff_hint="Trong Outlook, lưu thư dạng .eml (Tệp > Lưu thành) hoặc lưu riêng tệp đính kèm vào inbox rồi chạy lại.",
        ),
    )
    FILE_ENCRYPTED = (
        "file_encrypted",
        Text(
            Severity.ERROR,
            "Tệp có đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi gửi lại.",
            title="Tệp có mật khẩu",
        ),
    )
    FILE_EMPTY = (
        "file_empty",
        Text(Severity.ERROR, "Tệp rỗng (0 byte). Đề nghị đơn vị gửi lại tệp đã điền.", title="Tệp rỗng"),
    )
    FILE_TOO_LARGE = (
        "file_too_large",
        Text(
            Severity.ERROR,
            "Tệp quá lớn ({size}), vượt giới hạn {limit}. Đề nghị đơn vị xóa ảnh, trang thừa rồi gửi lại.",
            title="Tệp quá lớn",
        ),
    )
    FILE_BOMB = (
        "file_bomb",
        Text(
            Severity.ERROR,
            "Tệp có dấu hiệu bất thường (giải nén ra {size}, tỉ lệ nén {ratio}) nên không được mở để bảo đảm an toàn. Đề nghị đơn vị lưu lại tệp từ biểu mẫu chuẩn.",
            title="Tệp nén bất thường",
        ),
    )
    FILE_XML_ENTITIES = (
        "file_xml_entities",
        Text(
            Severity.ERROR,
            "Tệp chứa khai báo XML bất thường ({part}) mà bảng tính thông thường không có, nên không được mở để bảo đảm an toàn. Đề nghị đơn vị lưu lại tệp từ biểu mẫu chuẩn.",
            title="Khai báo XML bất thường",
        ),
    )
    SHEET_TOO_LARGE = (
        "sheet_too_large",
        Text(
            Severity.ERROR,
            'Trang "{sheet}" quá lớn ({rows} dòng × {columns} cột, giới hạn {max_rows} × {max_columns}). Đề nghị đơn vị xóa các dòng, cột thừa.',
            title="Trang quá lớn",
        ),
    )
    HEADER_NOT_FOUND = (
        "header_not_found",
        Text(
            Severity.ERROR,
            "Không tìm thấy bảng danh sách mô hình, điển hình: không có dòng tiêu đề nào chứa các cột {expected}. Đề nghị đơn vị dùng đúng biểu mẫu chuẩn.",
            title="Không thấy dòng tiêu đề",
        ),
    )
    COLUMN_MISSING = (
        "column_missing",
        Text(
            Severity.ERROR,
            'Bảng danh sách thiếu cột bắt buộc "{column}". Đề nghị đơn vị bổ sung cột này theo biểu mẫu chuẩn.',
            title="Thiếu cột bắt buộc",
        ),
    )
    SHEET_IGNORED = (
        "sheet_ignored",
        Text(
            Severity.WARNING,
            'Trang "{sheet}" giống một bảng danh sách nhưng thiếu cột {columns} nên các dòng ở đó không được tính. Nếu đó là danh sách mô hình, đề nghị đơn vị chuyển vào trang "Danh sách".',
            title="Trang không được tính",
            configurable=True,
        ),
    )
    UNIT_MISSING = (
        "unit_missing",
        Text(
            Severity.ERROR,
            'Không xác định được đơn vị gửi: tệp không ghi mã đơn vị, tên đơn vị. Đề nghị đơn vị điền trang "Thông tin".',
            title="Không ghi đơn vị",
        ),
    )
    UNIT_UNKNOWN = (
        "unit_unknown",
        Text(
            Severity.ERROR,
            'Đơn vị "{value}" không có trong danh sách đơn vị báo cáo.',
            title="Đơn vị ngoài danh sách",
            staff_hint="Nếu đây là đơn vị mới, bổ sung vào schemas/units.yaml rồi chạy lại.",
        ),
    )
    UNIT_AMBIGUOUS = (
        "unit_ambiguous",
        Text(
            Severity.ERROR,
            'Tên đơn vị "{value}" khớp với nhiều đơn vị ({candidates}). Đề nghị đơn vị ghi đúng mã đơn vị.',
            title="Tên đơn vị không rõ",
            staff_hint="Nếu cách viết này đúng là của một đơn vị, bổ sung vào aliases của đơn vị đó trong schemas/units.yaml rồi chạy lại.",
        ),
    )
    UNIT_CONFLICT = (
        "unit_conflict",
        Text(
            Severity.ERROR,
            'Mã đơn vị "{unit_code}" ({code_name}) mâu thuẫn với tên đơn vị "{value}". Đề nghị đơn vị kiểm tra lại trang "Thông tin".',
            title="Mã và tên đơn vị mâu thuẫn",
        ),
    )
    UNIT_BY_FILENAME = (
        "unit_by_filename",
        Text(
            Severity.WARNING,
            'Tệp không ghi đơn vị; đã nhận là {unit} theo tên tệp. Đề nghị đơn vị điền trang "Thông tin".',
            title="Nhận đơn vị theo tên tệp",
            configurable=True,
        ),
    )
    UNIT_NEAR = (
        "unit_near",
        Text(
            Severity.ERROR,
            'Tên đơn vị "{value}" không khớp hẳn đơn vị nào trong danh sách; gần giống: {candidates}. Nếu đúng là một trong các đơn vị này, đề nghị đơn vị ghi mã đơn vị.',
            staff_hint="Nếu đúng là một trong các đơn vị gần giống, bổ sung cách viết này vào aliases của đơn vị đó trong schemas/units.yaml rồi chạy lại.",
        ),
    )
    UNIT_EVIDENCE_CONFLICT = (
        "unit_evidence_conflict",
        Text(
            Severity.ERROR,
            'Các căn cứ xác định đơn vị không khớp nhau ({details}), nên tệp không được tính cho đơn vị nào. Đề nghị kiểm tra lại trang "Thông tin", dòng tiêu đề, tên tệp và địa chỉ gửi thư.',
        ),
    )
    UNIT_BY_CLOSE_NAME = (
        "unit_by_close_name",
        Text(
            Severity.WARNING,
            'Tên đơn vị "{value}" sai một, hai chữ so với tên trong danh sách; đã nhận là {unit} (không đơn vị nào khác gần như vậy). Đề nghị đơn vị ghi đúng tên hoặc mã đơn vị.',
            configurable=True,
        ),
    )
    UNIT_BY_SENDER = (
        "unit_by_sender",
        Text(
            Severity.WARNING,
            'Tệp không ghi đơn vị; đã nhận là {unit} theo địa chỉ gửi thư {value} (đã đăng ký của đơn vị). Đề nghị đơn vị điền trang "Thông tin".',
            configurable=True,
        ),
    )
    UNIT_BY_LOOSE_NAME = (
        "unit_by_loose_name",
        Text(
            Severity.WARNING,
            'Tên đơn vị "{value}" viết không dấu hoặc khác mẫu; đã nhận là {unit}.',
            title="Tên đơn vị viết khác",
            configurable=True,
        ),
    )
    SENDER_UNREGISTERED = (
        "sender_unregistered",
        Text(
            Severity.WARNING,
            "Thư gửi từ địa chỉ {value}, không phải địa chỉ đã đăng ký của {unit} ({registered}).",
            title="Địa chỉ gửi chưa đăng ký",
            staff_hint="Kiểm tra lại người gửi; nếu đúng, bổ sung địa chỉ vào schemas/units.yaml.",
            configurable=True,
        ),
    )
    YEAR_MISMATCH = (
        "year_mismatch",
        Text(
            Severity.ERROR,
            "Tệp là báo cáo năm {value}, không phải năm {expected} đang tổng hợp (có thể gửi nhầm tệp cũ).",
            title="Sai năm báo cáo",
        ),
    )
    PERIOD_MISMATCH = (
        "period_mismatch",
        Text(
            Severity.ERROR,
            'Tệp là báo cáo kỳ "{value}", không phải kỳ "{expected}" đang tổng hợp.',
            title="Sai kỳ báo cáo",
        ),
    )
    YEAR_ASSUMED = (
        "year_assumed",
        Text(
            Severity.WARNING,
            "Tệp không ghi năm báo cáo; đã coi là năm {expected}.",
            title="Không ghi năm báo cáo",
            configurable=True,
        ),
    )
    PERIOD_ASSUMED = (
        "period_assumed",
        Text(
            Severity.WARNING,
            'Tệp không ghi kỳ báo cáo; đã coi là kỳ "{expected}".',
            title="Không ghi kỳ báo cáo",
            configurable=True,
        ),
    )
    INFO_INVALID = (
        "info_invalid",
        Text(
            Severity.WARNING,
            'Ô "{column}" có giá trị "{value}" không đọc được; đã bỏ qua.',
            title="Thông tin không đọc được",
            configurable=True,
        ),
    )
    FILE_SUPERSEDED = (
        "file_superseded",
        Text(
            Severity.WARNING,
            "Đơn vị đã gửi tệp mới hơn ({newer}); tệp này được lưu lại nhưng không dùng để tổng hợp.",
            title="Đã có tệp mới hơn",
        ),
    )
    LEGACY_FONT = (
        "legacy_font",
        Text(
            Severity.WARNING,
            "Tệp gõ bằng phông chữ cũ {fonts}; đã chuyển {count} ô sang Unicode. Đề nghị đơn vị dùng phông Unicode (Times New Roman) ở lần sau.",
            title="Phông chữ cũ",
            configurable=True,
        ),
    )
    # a fact, not a judgement: a workbook with no model row is not a report (the unit has not reported)
    NO_ROWS = (
        "no_rows",
        Text(
            Severity.ERROR,
            'Bảng danh sách không có dòng mô hình, điển hình nào (biểu mẫu còn để trống): tệp này chưa phải là báo cáo, không được tổng hợp. Báo cáo cần ghi mỗi mô hình, điển hình của đơn vị một dòng ở trang "Danh sách".',
            title="Chưa có danh sách mô hình",
        ),
    )

    # Intake: one bad entry of the inbox is refused on its own, with its reason
    FOLDER_UNREADABLE = (
        "folder_unreadable",
        Text(
            Severity.ERROR,
            "Không mở được thư mục này ({detail}); các tệp trong đó chưa được đọc.",
            staff_hint="Kiểm tra quyền truy cập thư mục rồi chạy lại.",
        ),
    )
    FILE_VANISHED = (
        "file_vanished",
        Text(
            Severity.ERROR,
            "Tệp không còn khi chương trình đọc đến ({detail}): có thể đã bị xóa, đổi tên hoặc là tệp tạm khi đang mở.",
            staff_hint="Kiểm tra lại thư mục inbox rồi chạy lại.",
        ),
    )
    FILE_LINK = (
        "file_link",
        Text(
            Severity.WARNING,
            "Đây là lối tắt (liên kết) đến tệp khác, không phải tệp thật; chương trình không đọc theo liên kết.",
            staff_hint="Nếu cần, chép chính tệp đó vào inbox.",
            explains_fate=True,
        ),
    )
    FILE_SPECIAL = (
        "file_special",
        Text(
            Severity.ERROR,
            "Đây không phải tệp thông thường (thiết bị, ống dẫn hoặc socket); chương trình không mở.",
            staff_hint="Xóa mục này khỏi inbox.",
        ),
    )
    EMAIL_TOO_LARGE = (
        "email_too_large",
        Text(
            Severity.ERROR,
            "Thư quá lớn ({size}), vượt giới hạn {limit}; không mở thư này.",
            staff_hint="Lưu riêng các tệp đính kèm vào inbox rồi chạy lại.",
        ),
    )
    EMAIL_UNREADABLE = (
        "email_unreadable",
        Text(
            Severity.ERROR,
            "Không đọc được thư ({detail}).",
            staff_hint="Mở thư bằng chương trình thư điện tử, lưu riêng tệp đính kèm vào inbox rồi chạy lại.",
        ),
    )
    EMAIL_NO_ATTACHMENTS = (
        "email_no_attachments",
        Text(
            Severity.WARNING,
            "Thư không có tệp đính kèm nào nên không có gì để tổng hợp. Nếu đơn vị quên đính kèm, đề nghị gửi lại.",
            explains_fate=True,
        ),
    )
    EMAIL_UNPACKED_TOO_LARGE = (
        "email_unpacked_too_large",
        Text(
            Severity.ERROR,
            "Các tệp đính kèm của thư giải nén ra quá lớn (vượt {limit}); các phần còn lại không được mở. Đề nghị đơn vị gửi riêng từng tệp.",
        ),
    )
    TOO_MANY_PARTS = (
        "too_many_parts",
        Text(
            Severity.ERROR,
            "Thư hoặc tệp nén có quá nhiều phần ({count}, giới hạn {limit}); không mở. Đề nghị đơn vị gửi riêng tệp bảng tính.",
        ),
    )
    NESTED_TOO_DEEP = (
        "nested_too_deep",
        Text(
            Severity.ERROR,
            "Tệp nằm lồng quá sâu (thư trong tệp nén trong thư…, quá {limit} lớp); không mở. Đề nghị đơn vị gửi trực tiếp tệp bảng tính.",
        ),
    )
    MEMBER_ENCRYPTED = (
        "member_encrypted",
        Text(
            Severity.ERROR,
            "Tệp trong tệp nén có đặt mật khẩu nên không đọc được. Đề nghị đơn vị gửi tệp nén không mật khẩu hoặc gửi riêng tệp bảng tính.",
        ),
    )
    MEMBER_UNSUPPORTED = (
        "member_unsupported",
        Text(
            Severity.ERROR,
            "Tệp trong tệp nén dùng cách nén không hỗ trợ ({detail}). Đề nghị đơn vị nén lại bằng .zip thông thường hoặc gửi riêng tệp bảng tính.",
        ),
    )
    MEMBER_CORRUPT = (
        "member_corrupt",
        Text(
            Severity.ERROR,
            "Tệp trong tệp nén bị hỏng ({detail}). Đề nghị đơn vị nén lại hoặc gửi riêng tệp bảng tính.",
        ),
    )
    ARCHIVE_UNREADABLE = (
        "archive_unreadable",
        Text(
            Severity.ERROR,
            "Không mở được tệp nén ({detail}). Đề nghị đơn vị nén lại bằng .zip thông thường hoặc gửi riêng tệp bảng tính.",
        ),
    )
    FILE_TIMEOUT = (
        "file_timeout",
        Text(
            Severity.ERROR,
            "Đọc tệp quá {limit} giây nên đã dừng (tệp quá lớn hoặc cấu trúc bất thường); các tệp khác vẫn được tổng hợp. Đề nghị đơn vị mở bằng Excel, lưu thành .xlsx mới, xóa trang, dòng thừa rồi gửi lại.",
        ),
    )
    FILE_OUT_OF_MEMORY = (
        "file_out_of_memory",
        Text(
            Severity.ERROR,
            "Đọc tệp cần quá nhiều bộ nhớ (vượt {limit}) nên đã dừng; các tệp khác vẫn được tổng hợp. Đề nghị đơn vị mở bằng Excel, lưu thành .xlsx mới, xóa trang, dòng thừa rồi gửi lại.",
        ),
    )
    SHEET_SKIPPED_LARGE = (
        "sheet_skipped_large",
        Text(
            Severity.WARNING,
            'Trang "{sheet}" quá lớn ({cells} ô, giới hạn {limit} ô) nên không đọc. Nếu đó là danh sách mô hình, đề nghị đơn vị xóa các dòng, cột thừa rồi gửi lại.',
            explains_fate=True,
        ),
    )
    SHEET_READ_IN_PART = (
        "sheet_read_in_part",
        Text(
            Severity.WARNING,
            'Trang "{sheet}" có ô ở rất xa (vùng dữ liệu {rows} dòng × {columns} cột); chỉ đọc {read_rows} dòng × {read_columns} cột đầu, các ô ngoài vùng này bị bỏ qua. Đề nghị đơn vị xóa các ô thừa ở xa.',
            explains_fate=True,
        ),
    )
    SHEET_HIDDEN = (
        "sheet_hidden",
        Text(
            Severity.WARNING,
            'Trang "{sheet}" đang ẩn nhưng giống một bảng danh sách; chương trình không đọc trang ẩn. Nếu đó là danh sách, đề nghị đơn vị bỏ ẩn (chuột phải tên trang > Hiện) rồi gửi lại.',
            explains_fate=True,
            configurable=True,
        ),
    )
    REPORT_DATE_UNTRUSTED = (
        "report_date_untrusted",
        Text(
            Severity.WARNING,
            "Ngày báo cáo {value} ghi trong tệp {why}, nên không dùng để xét đúng hạn; đã dùng {used}.",
            explains_fate=True,
            configurable=True,
        ),
    )
    RECEIVED_AFTER_REPORT_DATE = (
        "received_after_report_date",
        Text(
            Severity.WARNING,
            "Tệp được nhận ngày {value}, sau ngày lập báo cáo tổng hợp ({report_date}); ngày nhận thực tế vẫn được dùng để xét đúng hạn.",
            title="Nhận sau ngày lập báo cáo",
            staff_hint="Ngày lập báo cáo (--report-date) sớm hơn ngày nhận tệp này: kiểm tra lại ngày lập báo cáo (và đồng hồ của máy), rồi chạy lại.",
            explains_fate=True,
        ),
    )
    FILE_TIE = (
        "file_tie",
        Text(
            Severity.WARNING,
            "Tệp này và tệp {other} của cùng đơn vị mới như nhau (cùng ngày, giờ); theo quy tắc, tệp có đường dẫn đứng sau theo thứ tự chữ cái được dùng, tệp kia coi là bản cũ. Đề nghị đơn vị xác nhận bản nào đúng.",
            explains_fate=True,
        ),
    )
    TEXT_TRUNCATED = (
        "text_truncated",
        Text(
            Severity.WARNING,
            'Cột "{column}" dài {length} ký tự, chạm giới hạn {limit} ký tự của một ô Excel (phần dài hơn không đọc được); đã cắt bớt và đánh dấu "{marker}". Đề nghị đơn vị rút gọn nội dung.',
        ),
    )
    NUMBER_TOO_LARGE = (
        "number_too_large",
        Text(Severity.ERROR, 'Cột "{column}": {value} vượt giới hạn hợp lý {limit}.'),
    )

    # Rows and cells
    FORMULA_WITHOUT_VALUE = (
        "formula_without_value",
        Text(
            Severity.ERROR,
            'Cột "{column}" có công thức {formula} nhưng tệp không lưu kết quả tính (tệp được lưu bởi phần mềm không tính công thức). Đề nghị đơn vị mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi gửi.',
            title="Công thức chưa tính",
        ),
    )
    REQUIRED_MISSING = (
        "required_missing",
        Text(Severity.ERROR, 'Cột "{column}" bắt buộc nhưng bỏ trống.', title="Bỏ trống cột bắt buộc"),
    )
    FIELD_INVALID = (
        "field_invalid",
        Text(
            Severity.ERROR,
            'Lĩnh vực "{value}" không hợp lệ. Ghi số từ 1 đến 11 hoặc chọn trong danh sách: {allowed}.',
            title="Lĩnh vực không hợp lệ",
        ),
    )
    CHOICE_INVALID = (
        "choice_invalid",
        Text(
            Severity.ERROR,
            'Cột "{column}": "{value}" không phải lựa chọn hợp lệ. Chọn một trong: {allowed}.',
            title="Lựa chọn không hợp lệ",
        ),
    )
    CHOICE_GUESSED = (
        "choice_guessed",
        Text(
            Severity.WARNING,
            'Cột "{column}": "{value}" không đúng chữ trong danh sách; đã hiểu là "{read_as}". Đề nghị chọn từ danh sách thả xuống.',
            title="Lựa chọn gõ tay",
            configurable=True,
        ),
    )
    SUBJECT_NOT_ALLOWED = (
        "subject_not_allowed",
        Text(
            Severity.ERROR,
            'Đối tượng "{value}" không thuộc lĩnh vực {field}; lĩnh vực này chỉ nhận: {allowed}.',
            title="Đối tượng không thuộc lĩnh vực",
            configurable=True,
        ),
    )
    YEAR_INVALID = (
        "year_invalid",
        Text(
            Severity.ERROR,
            'Năm xây dựng "{value}" không phải một năm (ví dụ 2024).',
            title="Năm không hợp lệ",
        ),
    )
    YEAR_AFTER_REPORT_YEAR = (
        "year_after_report_year",
        Text(
            Severity.ERROR,
            "Năm xây dựng {value} sau năm báo cáo {year}.",
            title="Năm xây dựng sau năm báo cáo",
            configurable=True,
        ),
    )
    NEW_NOT_REPORT_YEAR = (
        "new_not_report_year",
        Text(
            Severity.WARNING,
            'Tình trạng "Đăng ký mới" nhưng năm xây dựng là {value}, không phải {year}. Kiểm tra lại: có phải "Duy trì, phát huy"?',
            title="Đăng ký mới nhưng năm khác",
            configurable=True,
        ),
    )
    NUMBER_INVALID = (
        "number_invalid",
        Text(
            Severity.ERROR,
            'Cột "{column}": "{value}" không phải số nguyên không âm.',
            title="Số không hợp lệ",
        ),
    )
    REPLICATED_WITHOUT_PLACES = (
        "replicated_without_places",
        Text(
            Severity.WARNING,
            'Giai đoạn "Giới thiệu, nhân rộng" nhưng số nơi nhân rộng là 0.',
            title="Nhân rộng nhưng 0 nơi",
            configurable=True,
        ),
    )
    REWARD_WITHOUT_DECISION = (
        "reward_without_decision",
        Text(
            Severity.WARNING,
            "Có hình thức khen thưởng nhưng chưa ghi số, ngày quyết định khen thưởng.",
            title="Thiếu quyết định khen thưởng",
            configurable=True,
        ),
    )
    DUPLICATE_MODEL = (
        "duplicate_model",
        Text(
            Severity.ERROR,
            "Mô hình trùng với dòng {first_row} (cùng tên và lĩnh vực); dòng này không được tính.",
            title="Mô hình trùng",
            configurable=True,
        ),
    )

    # The Board's mailbox (fetch, drafts into the mailbox): said at the command line, never stored
    MAILBOX_NO_PASSWORD = (
        "mailbox_no_password",
        Text(
            Severity.ERROR,
            "Chưa có mật khẩu hộp thư {user}. Đặt biến môi trường {env}, hoặc lưu một lần vào kho mật khẩu của máy: keyring set {service} {user} (xem README), rồi chạy lại.",
        ),
    )
    MAILBOX_LOGIN_FAILED = (
        "mailbox_login_failed",
        Text(
            Severity.ERROR,
            "Máy chủ thư {host} không nhận tên đăng nhập {user} với mật khẩu đã cho. Kiểm tra lại mật khẩu (biến môi trường {env} hoặc keyring, dịch vụ {service}) và việc hộp thư đã bật IMAP, rồi chạy lại.",
        ),
    )
    MAILBOX_UNREACHABLE = (
        "mailbox_unreachable",
        Text(
            Severity.ERROR,
            "Không kết nối được máy chủ thư {host}, cổng {port} ({detail}). Kiểm tra mạng, mục host và port trong schemas/mailbox.yaml. Nếu hộp thư không bật IMAP, lưu thư vào inbox bằng tay như trước.",
        ),
    )
    MAILBOX_CERTIFICATE = (
        "mailbox_certificate",
        Text(
            Severity.ERROR,
            "Máy này không tin chứng chỉ của máy chủ thư {host} ({detail}). Xin bộ phận kỹ thuật tệp chứng chỉ gốc (.pem hoặc .crt) của máy chủ thư, lưu vào máy rồi ghi đường dẫn của nó vào mục ca_file trong schemas/mailbox.yaml. Đừng tắt việc kiểm tra chứng chỉ.",
        ),
    )
    MAILBOX_CA_FILE_MISSING = (
        "mailbox_ca_file_missing",
        Text(
            Severity.ERROR,
            'Không thấy tệp chứng chỉ "{path}" ghi ở mục ca_file trong schemas/mailbox.yaml (hoặc tệp không phải chứng chỉ). Sửa đường dẫn rồi chạy lại.',
        ),
    )
    MAILBOX_PLAINTEXT_REFUSED = (
        "mailbox_plaintext_refused",
        Text(
            Severity.ERROR,
            "Không dùng kết nối không mã hóa (security: plain) với máy chủ {host}: mật khẩu sẽ đi trên mạng không được bảo vệ. Ghi security: imaps (cổng 993) hoặc starttls (cổng 143) trong schemas/mailbox.yaml.",
        ),
    )
    MAILBOX_TLS_UNAVAILABLE = (
        "mailbox_tls_unavailable",
        Text(
            Severity.ERROR,
            "Máy chủ thư {host} không hỗ trợ STARTTLS. Ghi security: imaps và port: 993 trong schemas/mailbox.yaml rồi chạy lại.",
        ),
    )
    MAILBOX_FOLDER_MISSING = (
        "mailbox_folder_missing",
        Text(
            Severity.ERROR,
            'Hộp thư không có thư mục "{folder}" (mục {key} trong schemas/mailbox.yaml). Các thư mục có: {folders}. Sửa mục đó cho đúng tên rồi chạy lại.',
        ),
    )
    MAILBOX_QUOTA = (
        "mailbox_quota",
        Text(
            Severity.ERROR,
            'Máy chủ thư không nhận thêm thư vào "{folder}" ({detail}): hộp thư đã đầy hoặc thư vượt giới hạn dung lượng. Xóa bớt thư cũ trong webmail rồi chạy lại (thư đã đặt vào trước đó không bị đặt trùng).',
        ),
    )
    MAILBOX_MESSAGE_TOO_LARGE = (
        "mailbox_message_too_large",
        Text(
            Severity.WARNING,
            'Thư "{subject}" của {sender} lớn {size}, vượt giới hạn {limit} (mục max_message_bytes trong schemas/mailbox.yaml) nên không tải. Mở thư bằng webmail và lưu tệp đính kèm vào inbox bằng tay.',
        ),
    )
    MAILBOX_FAILED = (
        "mailbox_failed",
        Text(
            Severity.ERROR,
            "Máy chủ thư báo lỗi: {detail}. Chạy lại sau ít phút; nếu vẫn lỗi, lưu thư vào inbox bằng tay như trước.",
        ),
    )
    # the mailbox as a hostile peer: each failure said as the mailbox's, the fetch goes on
    MAILBOX_STALLED = (
        "mailbox_stalled",
        Text(
            Severity.ERROR,
            "Máy chủ thư {host} không gửi gì trong {seconds} giây (mục timeout_seconds trong schemas/mailbox.yaml). Chạy lại lệnh fetch sau ít phút; thư đã lưu không bị lưu trùng.",
        ),
    )
    MAILBOX_DEADLINE = (
        "mailbox_deadline",
        Text(
            Severity.ERROR,
            "Đã hết {seconds} giây dành cho hộp thư (mục deadline_seconds trong schemas/mailbox.yaml) mà máy chủ {host} chưa trả lời xong. Các thư đã lưu vẫn nguyên; chạy lại lệnh fetch để lấy tiếp.",
        ),
    )
    MAILBOX_DROPPED = (
        "mailbox_dropped",
        Text(
            Severity.ERROR,
            "Máy chủ thư {host} ngắt kết nối giữa chừng. Chạy lại lệnh fetch sau ít phút; thư đã lưu không bị lưu trùng.",
        ),
    )
    MAILBOX_BAD_ANSWER = (
        "mailbox_bad_answer",
        Text(
            Severity.ERROR,
            "Máy chủ thư {host} trả lời sai chuẩn IMAP ({detail}). Chạy lại lệnh fetch sau ít phút; nếu vẫn lỗi, báo bộ phận quản trị thư và lưu thư đó vào inbox bằng tay.",
        ),
    )
    MAILBOX_ANSWER_WITHOUT_UID = (
        "mailbox_answer_without_uid",
        Text(
            Severity.ERROR,
            "Máy chủ thư trả lời mà không ghi số UID của thư, nên không biết câu trả lời thuộc thư nào; thư này chưa tải. Mở bằng webmail và lưu vào inbox bằng tay.",
        ),
    )
    MAILBOX_MESSAGE_GONE = (
        "mailbox_message_gone",
        Text(
            Severity.WARNING,
            "Thư không còn trên máy chủ khi tải (đã bị xóa hoặc chuyển thư mục sau khi tìm); kiểm tra trong webmail.",
        ),
    )
    MAILBOX_NOT_REACHED = (
        "mailbox_not_reached",
        Text(
            Severity.ERROR,
            "Chưa tải vì lệnh fetch đã dừng trước thư này; chạy lại lệnh fetch để lấy tiếp.",
        ),
    )
    MAILBOX_INCOMPLETE = (
        "mailbox_incomplete",
        Text(
            Severity.ERROR,
            "{count} thư chưa tải được (danh sách ở trên, kèm lý do). Các thư đã lưu vào inbox vẫn nguyên. Chạy lại lệnh fetch sau ít phút để lấy tiếp; thư vẫn lỗi thì mở bằng webmail và lưu vào inbox bằng tay.",
        ),
    )

    # Across periods: the register of models (outbox/so-mo-hinh.sqlite)
    MODEL_CODE_UNKNOWN = (
        "model_code_unknown",
        Text(
            Severity.ERROR,
            'Mã mô hình "{value}" không có trong sổ theo dõi mô hình của Ban. Giữ đúng mã đã điền sẵn trong biểu mẫu; mô hình mới thì để trống ô mã.',
            configurable=True,
        ),
    )
    MODEL_CODE_OTHER_UNIT = (
        "model_code_other_unit",
        Text(
            Severity.ERROR,
            'Mã mô hình "{value}" là mã của {owner}, không phải của đơn vị này. Giữ đúng mã đã điền sẵn trong biểu mẫu của đơn vị; mô hình mới thì để trống ô mã.',
            configurable=True,
        ),
    )
    MODEL_CODE_DUPLICATE = (
        "model_code_duplicate",
        Text(
            Severity.ERROR,
            'Mã mô hình "{value}" đã ghi ở dòng {first_row}; mỗi mô hình một mã, dòng này không được tính.',
            configurable=True,
        ),
    )
    MODEL_CODE_CONFLICT = (
        "model_code_conflict",
        Text(
            Severity.ERROR,
            'Mã mô hình "{value}" là mã của mô hình "{before}" (lĩnh vực {before_field}, báo cáo {against}), nhưng dòng này ghi mô hình "{name}" (lĩnh vực {field}){other}. Có thể danh sách đã được sắp xếp lại mà cột "Mã mô hình" không đi theo: ghi lại đúng mã của từng mô hình (mô hình mới thì để trống ô mã) rồi gửi lại.',
            configurable=True,
        ),
    )
    CONTINUING_UNMATCHED = (
        "continuing_unmatched",
        Text(
            Severity.WARNING,
            'Tình trạng "Duy trì, phát huy" nhưng không thấy mô hình này trong báo cáo {against}. Kiểm tra lại tên, lĩnh vực hoặc ghi mã mô hình; nếu là mô hình mới, chọn "Đăng ký mới".',
            configurable=True,
        ),
    )
    NEW_ALREADY_REGISTERED = (
        "new_already_registered",
        Text(
            Severity.WARNING,
            'Tình trạng "Đăng ký mới" nhưng mô hình đã có trong sổ theo dõi (mã {model}, báo cáo {since}). Kiểm tra lại: có phải "Duy trì, phát huy"?',
            configurable=True,
        ),
    )
    STAGE_BACKWARDS = (
        "stage_backwards",
        Text(
            Severity.WARNING,
            'Giai đoạn "{value}" lùi so với báo cáo {against} ("{before}"). Kiểm tra lại giai đoạn.',
            configurable=True,
        ),
    )
    REPLICATIONS_DOWN = (
        "replications_down",
        Text(
            Severity.WARNING,
            "Số nơi nhân rộng {value} ít hơn báo cáo {against} ({before}). Kiểm tra lại số liệu.",
            configurable=True,
        ),
    )
    YEAR_BUILT_CHANGED = (
        "year_built_changed",
        Text(
            Severity.WARNING,
            "Năm xây dựng {value} khác báo cáo {against} ({before}). Kiểm tra lại năm bắt đầu xây dựng mô hình.",
            configurable=True,
        ),
    )
    MODEL_NAME_CLOSE = (
        "model_name_close",
        Text(
            Severity.WARNING,
            'Tên mô hình gần giống mô hình "{before}" (mã {model}) trong báo cáo {against}. Nếu là cùng một mô hình, ghi mã {model} vào cột "Mã mô hình"; chương trình không tự nối.',
            configurable=True,
        ),
    )
    MODEL_NOT_REPORTED = (
        "model_not_reported",
        Text(
            Severity.WARNING,
            'Mô hình "{value}" (mã {model}, lĩnh vực {field}) có trong báo cáo {against} nhưng không có trong báo cáo kỳ này. Nếu mô hình vẫn duy trì, đề nghị bổ sung; nếu đã dừng, ghi rõ để Ban theo dõi.',
            configurable=True,
            may_reject=False,
        ),
    )
