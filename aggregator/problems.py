"""Problems as data: one record type, one catalogue of codes with Vietnamese messages.

Every problem found in a file or a row becomes a ``Problem``; nothing stops at the first one.
Tests assert on ``code``; users read ``message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

ERROR = "error"
WARNING = "warning"

# code: (default severity, Vietnamese message template). Templates say what happened and what to do.
CATALOGUE: dict[str, tuple[str, str]] = {
    # Files
    "file_not_workbook": (
        ERROR,
        "Tệp không phải bảng tính Excel/LibreOffice ({detail}). Đề nghị đơn vị gửi lại tệp .xlsx theo biểu mẫu.",
    ),
    "file_unreadable": (
        ERROR,
        "Không mở được tệp: tệp bị hỏng hoặc chưa lưu xong ({detail}). Đề nghị đơn vị mở lại bằng Excel, lưu thành .xlsx và gửi lại.",
    ),
    "file_crashed_reader": (
        ERROR,
        "Đọc tệp này làm chương trình đọc bị dừng đột ngột (tệp quá lớn, hỏng hoặc có cấu trúc bất thường); tệp bị bỏ qua, các tệp khác vẫn được tổng hợp. Đề nghị đơn vị mở lại bằng Excel, lưu thành .xlsx mới và gửi lại.",
    ),
    "file_outlook_msg": (ERROR, "Thư lưu dạng Outlook (.msg) chưa đọc được."),
    "file_encrypted": (
        ERROR,
        "Tệp có đặt mật khẩu nên không đọc được. Đề nghị đơn vị gỡ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi gửi lại.",
    ),
    "file_empty": (ERROR, "Tệp rỗng (0 byte). Đề nghị đơn vị gửi lại tệp đã điền."),
    "file_too_large": (
        ERROR,
        "Tệp quá lớn ({size}), vượt giới hạn {limit}. Đề nghị đơn vị xóa ảnh, trang thừa rồi gửi lại.",
    ),
    "file_bomb": (
        ERROR,
        "Tệp có dấu hiệu bất thường (giải nén ra {size}, tỉ lệ nén {ratio}) nên không được mở để bảo đảm an toàn. Đề nghị đơn vị lưu lại tệp từ biểu mẫu chuẩn.",
    ),
    "file_xml_entities": (
        ERROR,
        "Tệp chứa khai báo XML bất thường ({part}) mà bảng tính thông thường không có, nên không được mở để bảo đảm an toàn. Đề nghị đơn vị lưu lại tệp từ biểu mẫu chuẩn.",
    ),
    "sheet_too_large": (
        ERROR,
        'Trang "{sheet}" quá lớn ({rows} dòng × {columns} cột, giới hạn {max_rows} × {max_columns}). Đề nghị đơn vị xóa các dòng, cột thừa.',
    ),
    "header_not_found": (
        ERROR,
        "Không tìm thấy bảng danh sách mô hình, điển hình: không có dòng tiêu đề nào chứa các cột {expected}. Đề nghị đơn vị dùng đúng biểu mẫu chuẩn.",
    ),
    "column_missing": (
        ERROR,
        'Bảng danh sách thiếu cột bắt buộc "{column}". Đề nghị đơn vị bổ sung cột này theo biểu mẫu chuẩn.',
    ),
    "sheet_ignored": (
        WARNING,
        'Trang "{sheet}" giống một bảng danh sách nhưng thiếu cột {columns} nên các dòng ở đó không được tính. Nếu đó là danh sách mô hình, đề nghị đơn vị chuyển vào trang "Danh sách".',
    ),
    "unit_missing": (
        ERROR,
        'Không xác định được đơn vị gửi: tệp không ghi mã đơn vị, tên đơn vị. Đề nghị đơn vị điền trang "Thông tin".',
    ),
    "unit_unknown": (ERROR, 'Đơn vị "{value}" không có trong danh sách đơn vị báo cáo.'),
    "unit_ambiguous": (
        ERROR,
        'Tên đơn vị "{value}" khớp với nhiều đơn vị ({candidates}). Đề nghị đơn vị ghi đúng mã đơn vị.',
    ),
    "unit_conflict": (
        ERROR,
        'Mã đơn vị "{unit_code}" ({code_name}) mâu thuẫn với tên đơn vị "{value}". Đề nghị đơn vị kiểm tra lại trang "Thông tin".',
    ),
    "unit_by_filename": (
        WARNING,
        'Tệp không ghi đơn vị; đã nhận là {unit} theo tên tệp. Đề nghị đơn vị điền trang "Thông tin".',
    ),
    "unit_near": (
        ERROR,
        'Tên đơn vị "{value}" không khớp hẳn đơn vị nào trong danh sách; gần giống: {candidates}. Nếu đúng là một trong các đơn vị này, đề nghị đơn vị ghi mã đơn vị.',
    ),
    "unit_evidence_conflict": (
        ERROR,
        'Các căn cứ xác định đơn vị không khớp nhau ({details}), nên tệp không được tính cho đơn vị nào. Đề nghị kiểm tra lại trang "Thông tin", dòng tiêu đề, tên tệp và địa chỉ gửi thư.',
    ),
    "unit_by_close_name": (
        WARNING,
        'Tên đơn vị "{value}" sai một, hai chữ so với tên trong danh sách; đã nhận là {unit} (không đơn vị nào khác gần như vậy). Đề nghị đơn vị ghi đúng tên hoặc mã đơn vị.',
    ),
    "unit_by_sender": (
        WARNING,
        'Tệp không ghi đơn vị; đã nhận là {unit} theo địa chỉ gửi thư {value} (đã đăng ký của đơn vị). Đề nghị đơn vị điền trang "Thông tin".',
    ),
    "unit_by_loose_name": (WARNING, 'Tên đơn vị "{value}" viết không dấu hoặc khác mẫu; đã nhận là {unit}.'),
    "sender_unregistered": (
        WARNING,
        "Thư gửi từ địa chỉ {value}, không phải địa chỉ đã đăng ký của {unit} ({registered}).",
    ),
    "year_mismatch": (
        ERROR,
        "Tệp là báo cáo năm {value}, không phải năm {expected} đang tổng hợp (có thể gửi nhầm tệp cũ).",
    ),
    "period_mismatch": (ERROR, 'Tệp là báo cáo kỳ "{value}", không phải kỳ "{expected}" đang tổng hợp.'),
    "year_assumed": (WARNING, "Tệp không ghi năm báo cáo; đã coi là năm {expected}."),
    "period_assumed": (WARNING, 'Tệp không ghi kỳ báo cáo; đã coi là kỳ "{expected}".'),
    "info_invalid": (WARNING, 'Ô "{column}" có giá trị "{value}" không đọc được; đã bỏ qua.'),
    "file_superseded": (
        WARNING,
        "Đơn vị đã gửi tệp mới hơn ({newer}); tệp này được lưu lại nhưng không dùng để tổng hợp.",
    ),
    "legacy_font": (
        WARNING,
        "Tệp gõ bằng phông chữ cũ {fonts}; đã chuyển {count} ô sang Unicode. Đề nghị đơn vị dùng phông Unicode (Times New Roman) ở lần sau.",
    ),
    "no_rows": (WARNING, "Bảng danh sách không có dòng mô hình, điển hình nào."),
    # Intake: one bad entry of the inbox is refused on its own, with its reason
    "folder_unreadable": (ERROR, "Không mở được thư mục này ({detail}); các tệp trong đó chưa được đọc."),
    "file_vanished": (
        ERROR,
        "Tệp không còn khi chương trình đọc đến ({detail}): có thể đã bị xóa, đổi tên hoặc là tệp tạm khi đang mở.",
    ),
    "file_link": (
        WARNING,
        "Đây là lối tắt (liên kết) đến tệp khác, không phải tệp thật; chương trình không đọc theo liên kết.",
    ),
    "file_special": (
        ERROR,
        "Đây không phải tệp thông thường (thiết bị, ống dẫn hoặc socket); chương trình không mở.",
    ),
    "email_too_large": (ERROR, "Thư quá lớn ({size}), vượt giới hạn {limit}; không mở thư này."),
    "email_unreadable": (ERROR, "Không đọc được thư ({detail})."),
    "email_no_attachments": (
        WARNING,
        "Thư không có tệp đính kèm nào nên không có gì để tổng hợp. Nếu đơn vị quên đính kèm, đề nghị gửi lại.",
    ),
    "email_unpacked_too_large": (
        ERROR,
        "Các tệp đính kèm của thư giải nén ra quá lớn (vượt {limit}); các phần còn lại không được mở. Đề nghị đơn vị gửi riêng từng tệp.",
    ),
    "too_many_parts": (
        ERROR,
        "Thư hoặc tệp nén có quá nhiều phần ({count}, giới hạn {limit}); không mở. Đề nghị đơn vị gửi riêng tệp bảng tính.",
    ),
    "nested_too_deep": (
        ERROR,
        "Tệp nằm lồng quá sâu (thư trong tệp nén trong thư…, quá {limit} lớp); không mở. Đề nghị đơn vị gửi trực tiếp tệp bảng tính.",
    ),
    "member_encrypted": (
        ERROR,
        "Tệp trong tệp nén có đặt mật khẩu nên không đọc được. Đề nghị đơn vị gửi tệp nén không mật khẩu hoặc gửi riêng tệp bảng tính.",
    ),
    "member_unsupported": (
        ERROR,
        "Tệp trong tệp nén dùng cách nén không hỗ trợ ({detail}). Đề nghị đơn vị nén lại bằng .zip thông thường hoặc gửi riêng tệp bảng tính.",
    ),
    "member_corrupt": (
        ERROR,
        "Tệp trong tệp nén bị hỏng ({detail}). Đề nghị đơn vị nén lại hoặc gửi riêng tệp bảng tính.",
    ),
    "archive_unreadable": (
        ERROR,
        "Không mở được tệp nén ({detail}). Đề nghị đơn vị nén lại bằng .zip thông thường hoặc gửi riêng tệp bảng tính.",
    ),
    "file_timeout": (
        ERROR,
        "Đọc tệp quá {limit} giây nên đã dừng (tệp quá lớn hoặc cấu trúc bất thường); các tệp khác vẫn được tổng hợp. Đề nghị đơn vị mở bằng Excel, lưu thành .xlsx mới, xóa trang, dòng thừa rồi gửi lại.",
    ),
    "file_out_of_memory": (
        ERROR,
        "Đọc tệp cần quá nhiều bộ nhớ (vượt {limit}) nên đã dừng; các tệp khác vẫn được tổng hợp. Đề nghị đơn vị mở bằng Excel, lưu thành .xlsx mới, xóa trang, dòng thừa rồi gửi lại.",
    ),
    "sheet_skipped_large": (
        WARNING,
        'Trang "{sheet}" quá lớn ({cells} ô, giới hạn {limit} ô) nên không đọc. Nếu đó là danh sách mô hình, đề nghị đơn vị xóa các dòng, cột thừa rồi gửi lại.',
    ),
    "sheet_read_in_part": (
        WARNING,
        'Trang "{sheet}" có ô ở rất xa (vùng dữ liệu {rows} dòng × {columns} cột); chỉ đọc {read_rows} dòng × {read_columns} cột đầu, các ô ngoài vùng này bị bỏ qua. Đề nghị đơn vị xóa các ô thừa ở xa.',
    ),
    "sheet_hidden": (
        WARNING,
        'Trang "{sheet}" đang ẩn nhưng giống một bảng danh sách; chương trình không đọc trang ẩn. Nếu đó là danh sách, đề nghị đơn vị bỏ ẩn (chuột phải tên trang > Hiện) rồi gửi lại.',
    ),
    "report_date_untrusted": (
        WARNING,
        "Ngày báo cáo {value} ghi trong tệp {why}, nên không dùng để xét đúng hạn; đã dùng {used}.",
    ),
    "file_tie": (
        WARNING,
        "Tệp này và tệp {other} của cùng đơn vị mới như nhau (cùng ngày, giờ); theo quy tắc, tệp có đường dẫn đứng sau theo thứ tự chữ cái được dùng, tệp kia coi là bản cũ. Đề nghị đơn vị xác nhận bản nào đúng.",
    ),
    "text_truncated": (
        WARNING,
        'Cột "{column}" dài {length} ký tự, chạm giới hạn {limit} ký tự của một ô Excel (phần dài hơn không đọc được); đã cắt bớt và đánh dấu "{marker}". Đề nghị đơn vị rút gọn nội dung.',
    ),
    "number_too_large": (ERROR, 'Cột "{column}": {value} vượt giới hạn hợp lý {limit}.'),
    # Rows and cells
    "formula_without_value": (
        ERROR,
        'Cột "{column}" có công thức {formula} nhưng tệp không lưu kết quả tính (tệp được lưu bởi phần mềm không tính công thức). Đề nghị đơn vị mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi gửi.',
    ),
    "required_missing": (ERROR, 'Cột "{column}" bắt buộc nhưng bỏ trống.'),
    "field_invalid": (
        ERROR,
        'Lĩnh vực "{value}" không hợp lệ. Ghi số từ 1 đến 11 hoặc chọn trong danh sách: {allowed}.',
    ),
    "choice_invalid": (
        ERROR,
        'Cột "{column}": "{value}" không phải lựa chọn hợp lệ. Chọn một trong: {allowed}.',
    ),
    "choice_guessed": (
        WARNING,
        'Cột "{column}": "{value}" không đúng chữ trong danh sách; đã hiểu là "{read_as}". Đề nghị chọn từ danh sách thả xuống.',
    ),
    "subject_not_allowed": (
        ERROR,
        'Đối tượng "{value}" không thuộc lĩnh vực {field}; lĩnh vực này chỉ nhận: {allowed}.',
    ),
    "year_invalid": (ERROR, 'Năm xây dựng "{value}" không phải một năm (ví dụ 2024).'),
    "year_after_report_year": (ERROR, "Năm xây dựng {value} sau năm báo cáo {year}."),
    "new_not_report_year": (
        WARNING,
        'Tình trạng "Đăng ký mới" nhưng năm xây dựng là {value}, không phải {year}. Kiểm tra lại: có phải "Duy trì, phát huy"?',
    ),
    "number_invalid": (ERROR, 'Cột "{column}": "{value}" không phải số nguyên không âm.'),
    "replicated_without_places": (WARNING, 'Giai đoạn "Giới thiệu, nhân rộng" nhưng số nơi nhân rộng là 0.'),
    "reward_without_decision": (
        WARNING,
        "Có hình thức khen thưởng nhưng chưa ghi số, ngày quyết định khen thưởng.",
    ),
    "duplicate_model": (
        ERROR,
        "Mô hình trùng với dòng {first_row} (cùng tên và lĩnh vực); dòng này không được tính.",
    ),
    "totals_row": (ERROR, "Dòng tổng cộng, không phải một mô hình; không tính."),
    # The Board's mailbox (fetch, drafts into the mailbox): said at the command line, never stored
    "mailbox_no_password": (
        ERROR,
        "Chưa có mật khẩu hộp thư {user}. Đặt biến môi trường {env}, hoặc lưu một lần vào kho mật khẩu của máy: keyring set {service} {user} (xem README), rồi chạy lại.",
    ),
    "mailbox_login_failed": (
        ERROR,
        "Máy chủ thư {host} không nhận tên đăng nhập {user} với mật khẩu đã cho. Kiểm tra lại mật khẩu (biến môi trường {env} hoặc keyring, dịch vụ {service}) và việc hộp thư đã bật IMAP, rồi chạy lại.",
    ),
    "mailbox_unreachable": (
        ERROR,
        "Không kết nối được máy chủ thư {host}, cổng {port} ({detail}). Kiểm tra mạng, mục host và port trong schemas/mailbox.yaml. Nếu hộp thư không bật IMAP, lưu thư vào inbox bằng tay như trước.",
    ),
    "mailbox_certificate": (
        ERROR,
        "Máy này không tin chứng chỉ của máy chủ thư {host} ({detail}). Xin bộ phận kỹ thuật tệp chứng chỉ gốc (.pem hoặc .crt) của máy chủ thư, lưu vào máy rồi ghi đường dẫn của nó vào mục ca_file trong schemas/mailbox.yaml. Đừng tắt việc kiểm tra chứng chỉ.",
    ),
    "mailbox_ca_file_missing": (
        ERROR,
        'Không thấy tệp chứng chỉ "{path}" ghi ở mục ca_file trong schemas/mailbox.yaml (hoặc tệp không phải chứng chỉ). Sửa đường dẫn rồi chạy lại.',
    ),
    "mailbox_plaintext_refused": (
        ERROR,
        "Không dùng kết nối không mã hóa (security: plain) với máy chủ {host}: mật khẩu sẽ đi trên mạng không được bảo vệ. Ghi security: imaps (cổng 993) hoặc starttls (cổng 143) trong schemas/mailbox.yaml.",
    ),
    "mailbox_tls_unavailable": (
        ERROR,
        "Máy chủ thư {host} không hỗ trợ STARTTLS. Ghi security: imaps và port: 993 trong schemas/mailbox.yaml rồi chạy lại.",
    ),
    "mailbox_folder_missing": (
        ERROR,
        'Hộp thư không có thư mục "{folder}" (mục {key} trong schemas/mailbox.yaml). Các thư mục có: {folders}. Sửa mục đó cho đúng tên rồi chạy lại.',
    ),
    "mailbox_quota": (
        ERROR,
        'Máy chủ thư không nhận thêm thư vào "{folder}" ({detail}): hộp thư đã đầy hoặc thư vượt giới hạn dung lượng. Xóa bớt thư cũ trong webmail rồi chạy lại (thư đã đặt vào trước đó không bị đặt trùng).',
    ),
    "mailbox_message_too_large": (
        WARNING,
        'Thư "{subject}" của {sender} lớn {size}, vượt giới hạn {limit} (mục max_message_bytes trong schemas/mailbox.yaml) nên không tải. Mở thư bằng webmail và lưu tệp đính kèm vào inbox bằng tay.',
    ),
    "mailbox_failed": (
        ERROR,
        "Máy chủ thư báo lỗi: {detail}. Chạy lại sau ít phút; nếu vẫn lỗi, lưu thư vào inbox bằng tay như trước.",
    ),
    # Across periods: the register of models (outbox/so-mo-hinh.sqlite)
    "model_code_unknown": (
        ERROR,
        'Mã mô hình "{value}" không có trong sổ theo dõi mô hình của Ban. Giữ đúng mã đã điền sẵn trong biểu mẫu; mô hình mới thì để trống ô mã.',
    ),
    "model_code_other_unit": (
        ERROR,
        'Mã mô hình "{value}" là mã của {owner}, không phải của đơn vị này. Giữ đúng mã đã điền sẵn trong biểu mẫu của đơn vị; mô hình mới thì để trống ô mã.',
    ),
    "model_code_duplicate": (
        ERROR,
        'Mã mô hình "{value}" đã ghi ở dòng {first_row}; mỗi mô hình một mã, dòng này không được tính.',
    ),
    "continuing_unmatched": (
        WARNING,
        'Tình trạng "Duy trì, phát huy" nhưng không thấy mô hình này trong báo cáo {against}. Kiểm tra lại tên, lĩnh vực hoặc ghi mã mô hình; nếu là mô hình mới, chọn "Đăng ký mới".',
    ),
    "new_already_registered": (
        WARNING,
        'Tình trạng "Đăng ký mới" nhưng mô hình đã có trong sổ theo dõi (mã {model}, báo cáo {since}). Kiểm tra lại: có phải "Duy trì, phát huy"?',
    ),
    "stage_backwards": (
        WARNING,
        'Giai đoạn "{value}" lùi so với báo cáo {against} ("{before}"). Kiểm tra lại giai đoạn.',
    ),
    "replications_down": (
        WARNING,
        "Số nơi nhân rộng {value} ít hơn báo cáo {against} ({before}). Kiểm tra lại số liệu.",
    ),
    "year_built_changed": (
        WARNING,
        "Năm xây dựng {value} khác báo cáo {against} ({before}). Kiểm tra lại năm bắt đầu xây dựng mô hình.",
    ),
    "model_name_close": (
        WARNING,
        'Tên mô hình gần giống mô hình "{before}" (mã {model}) trong báo cáo {against}. Nếu là cùng một mô hình, ghi mã {model} vào cột "Mã mô hình"; chương trình không tự nối.',
    ),
    "model_not_reported": (
        WARNING,
        'Mô hình "{value}" (mã {model}, lĩnh vực {field}) có trong báo cáo {against} nhưng không có trong báo cáo kỳ này. Nếu mô hình vẫn duy trì, đề nghị bổ sung; nếu đã dừng, ghi rõ để Ban theo dõi.',
    ),
}

# The problems whose severity schemas/workbook.yaml (rules:) may set: the judgement calls, of a
# row, across periods, or of a whole file. Not a safety refusal (a bomb, a password, a file too
# large or too slow to read, an unreadable file) nor a fact (a file superseded or tied, no unit
# found, another year or period, a sheet too large to read, a text cut at a cell's limit): a rule
# naming one of those is refused when the schemas are loaded.
CONFIGURABLE = frozenset(
    {
        # rows
        "subject_not_allowed",
        "year_after_report_year",
        "new_not_report_year",
        "replicated_without_places",
        "reward_without_decision",
        "duplicate_model",
        "choice_guessed",
        # across periods
        "model_code_unknown",
        "model_code_other_unit",
        "model_code_duplicate",
        "continuing_unmatched",
        "new_already_registered",
        "stage_backwards",
        "replications_down",
        "year_built_changed",
        "model_name_close",
        "model_not_reported",
        # files
        "unit_by_filename",
        "unit_by_sender",
        "unit_by_loose_name",
        "unit_by_close_name",
        "sender_unregistered",
        "year_assumed",
        "period_assumed",
        "info_invalid",
        "report_date_untrusted",
        "legacy_font",
        "sheet_ignored",
        "sheet_hidden",
        "no_rows",
    }
)


def with_rules(found: list[Problem], rules: Mapping[str, str]) -> list[Problem]:
    """A file's own problems at the severity the Board set in ``rules:``: "off" dropped, "error"
    rejecting the file. (A row's problems take theirs as they are made, in validate.)"""
    kept = []
    for problem in found:
        severity = rules.get(problem.code) if problem.row is None else None
        if severity == "off":
            continue
        kept.append(replace(problem, severity=severity) if severity else problem)
    return kept


# What Board staff do about a problem (edit schemas/…, save again, rerun): said in the terminal
# summary and the manifest only, never in the report or to a unit.
STAFF_HINTS: dict[str, str] = {
    "folder_unreadable": "Kiểm tra quyền truy cập thư mục rồi chạy lại.",
    "file_vanished": "Kiểm tra lại thư mục inbox rồi chạy lại.",
    "file_link": "Nếu cần, chép chính tệp đó vào inbox.",
    "file_special": "Xóa mục này khỏi inbox.",
    "email_too_large": "Lưu riêng các tệp đính kèm vào inbox rồi chạy lại.",
    "email_unreadable": "Mở thư bằng chương trình thư điện tử, lưu riêng tệp đính kèm vào inbox rồi chạy lại.",
    "file_outlook_msg": "Trong Outlook, lưu thư dạng .eml (Tệp > Lưu thành) hoặc lưu riêng tệp đính kèm vào inbox rồi chạy lại.",
    "unit_unknown": "Nếu đây là đơn vị mới, bổ sung vào schemas/units.yaml rồi chạy lại.",
    "sender_unregistered": "Kiểm tra lại người gửi; nếu đúng, bổ sung địa chỉ vào schemas/units.yaml.",
    "unit_ambiguous": "Nếu cách viết này đúng là của một đơn vị, bổ sung vào aliases của đơn vị đó trong schemas/units.yaml rồi chạy lại.",
    "unit_near": "Nếu đúng là một trong các đơn vị gần giống, bổ sung cách viết này vào aliases của đơn vị đó trong schemas/units.yaml rồi chạy lại.",
}

# The kind of each problem in a few Vietnamese words, shown in workbooks beside the message
# (the English code stays in the manifest and summary for scripts).
TITLES: dict[str, str] = {
    "file_not_workbook": "Không phải bảng tính",
    "file_unreadable": "Tệp hỏng",
    "file_crashed_reader": "Tệp làm dừng chương trình đọc",
    "file_outlook_msg": "Thư Outlook .msg",
    "file_encrypted": "Tệp có mật khẩu",
    "file_empty": "Tệp rỗng",
    "file_too_large": "Tệp quá lớn",
    "file_bomb": "Tệp nén bất thường",
    "file_xml_entities": "Khai báo XML bất thường",
    "sheet_too_large": "Trang quá lớn",
    "header_not_found": "Không thấy dòng tiêu đề",
    "column_missing": "Thiếu cột bắt buộc",
    "sheet_ignored": "Trang không được tính",
    "unit_missing": "Không ghi đơn vị",
    "unit_unknown": "Đơn vị ngoài danh sách",
    "unit_ambiguous": "Tên đơn vị không rõ",
    "unit_conflict": "Mã và tên đơn vị mâu thuẫn",
    "unit_by_filename": "Nhận đơn vị theo tên tệp",
    "unit_by_loose_name": "Tên đơn vị viết khác",
    "sender_unregistered": "Địa chỉ gửi chưa đăng ký",
    "year_mismatch": "Sai năm báo cáo",
    "period_mismatch": "Sai kỳ báo cáo",
    "year_assumed": "Không ghi năm báo cáo",
    "period_assumed": "Không ghi kỳ báo cáo",
    "info_invalid": "Thông tin không đọc được",
    "file_superseded": "Đã có tệp mới hơn",
    "legacy_font": "Phông chữ cũ",
    "no_rows": "Không có dòng nào",
    "formula_without_value": "Công thức chưa tính",
    "required_missing": "Bỏ trống cột bắt buộc",
    "field_invalid": "Lĩnh vực không hợp lệ",
    "choice_invalid": "Lựa chọn không hợp lệ",
    "choice_guessed": "Lựa chọn gõ tay",
    "subject_not_allowed": "Đối tượng không thuộc lĩnh vực",
    "year_invalid": "Năm không hợp lệ",
    "year_after_report_year": "Năm xây dựng sau năm báo cáo",
    "new_not_report_year": "Đăng ký mới nhưng năm khác",
    "number_invalid": "Số không hợp lệ",
    "replicated_without_places": "Nhân rộng nhưng 0 nơi",
    "reward_without_decision": "Thiếu quyết định khen thưởng",
    "duplicate_model": "Mô hình trùng",
    "totals_row": "Dòng tổng cộng",
}


def title(code: str) -> str:
    """The kind of a problem as staff read it (its severity's word for a code with no title)."""
    default = CATALOGUE.get(code, (WARNING, ""))[0]
    return TITLES.get(code) or ("Lỗi" if default == ERROR else "Lưu ý")


# Warnings that explain what became of an entry: shown beside it wherever its fate is listed
# (the report's appendix of files, the master workbook's files sheet), like the errors.
FATE_WARNINGS = frozenset(
    {
        "file_link",
        "email_no_attachments",
        "file_tie",
        "report_date_untrusted",
        "sheet_read_in_part",
        "sheet_skipped_large",
        "sheet_hidden",
    }
)


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
    staff_hint: str = ""  # for Board staff only: see STAFF_HINTS
    technical: str = ""  # what failed, for an engineer (English, exception text); never shown first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def make(
    code: str,
    *,
    severity: str | None = None,
    file: str = "",
    sheet: str = "",
    cell: str = "",
    row: int | None = None,
    column: str = "",
    value: object = "",
    technical: str = "",
    **params: object,
) -> Problem:
    """A problem from the catalogue, its message filled from the parameters."""
    default, template = CATALOGUE[code]
    shown = "" if value is None else str(value)
    message = template.format(value=shown, column=column, sheet=sheet, **params)
    return Problem(
        code=code,
        severity=severity or default,
        message=message,
        file=file,
        sheet=sheet,
        cell=cell,
        row=row,
        column=column,
        value=shown,
        staff_hint=STAFF_HINTS.get(code, "").format(value=shown, **params),
        technical=technical[:500],
    )
