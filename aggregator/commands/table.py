"""The command table: each command's name, Vietnamese help, options and handler, declared once.

``cli`` builds the parser from ``TABLE`` and dispatches by it; the list of commands, the one
run when none is named (``default``) and the order in ``--help`` all come from here. A handler
is named as ``"module:function"`` in this package and imported only when its command runs, so
``--help`` and ``verify`` load none of the heavy libraries.
"""

from __future__ import annotations

from dataclasses import dataclass

from aggregator.commands import options as o
from aggregator.commands import typed


@dataclass(frozen=True)
class Command:
    """One command of ``aggregate.py``."""

    name: str
    help: str  # its line in the top-level list of commands
    description: str  # the first paragraph of its own --help
    options: tuple[o.Option, ...]  # besides -h, in the order --help lists them
    given: type[typed.Options]  # what its handler receives
    handler: str  # "module:function" in aggregator.commands: handler(given) -> exit code
    default: bool = False  # run when no command is named


TABLE = (
    Command(
        "run",
        "tổng hợp các tệp trong inbox, ghi báo cáo vào outbox (lệnh mặc định)",
        "Đọc mọi tệp trong hộp thư đến, kiểm tra, tổng hợp và ghi báo cáo, tệp tổng hợp, tệp phản "
        "hồi vào outbox.",
        (
            o.outbox(),
            *o.for_a_period(),
            o.inbox(),
            o.jobs(),
            o.templates(of="mẫu báo cáo Jinja"),
            o.report_date(on="báo cáo"),
            o.document_number(),
            o.signer(),
            o.json(),
            o.to_mailbox(),
        ),
        typed.RunOptions,
        "run:run",
        default=True,
    ),
    Command(
        "template",
        "tạo biểu mẫu chuẩn cho từng đơn vị vào outbox/templates",
        "Tạo biểu mẫu chuẩn (một tệp cho mỗi đơn vị, một tệp để trống) vào outbox/templates.",
        (o.outbox(), *o.for_a_period()),
        typed.TemplateOptions,
        "outreach:make_templates",
    ),
    Command(
        "check",
        "kiểm tra một hoặc vài tệp, in các lỗi",
        "Kiểm tra từng tệp và in các lỗi, không ghi gì ra outbox. Trả mã 1 nếu có tệp bị lỗi.",
        (o.files(), *o.for_a_period(), o.outbox(read_only=True), o.json()),
        typed.CheckOptions,
        "run:check",
    ),
    Command(
        "status",
        "bảng tình hình nhận báo cáo đến hôm nay: ai đã gửi, ai chưa",
        "Đọc hộp thư đến (không ghi gì ra outbox) và in bảng các đơn vị đã gửi, ngày gửi, đơn vị còn thiếu.",
        (*o.for_a_period(), o.outbox(read_only=True), o.inbox(), o.jobs()),
        typed.StatusOptions,
        "run:status",
    ),
    Command(
        "remind",
        "soạn thư nhắc (.eml) cho các đơn vị chưa gửi",
        "Soạn cho mỗi đơn vị chưa có báo cáo dùng được một thư nhắc sẵn sàng gửi (kèm biểu mẫu "
        "của đơn vị) vào outbox/<năm>/nhac-nho/.",
        (
            o.outbox(),
            *o.for_a_period(),
            o.inbox(),
            o.jobs(),
            o.templates(of="mẫu thư"),
            o.report_date(on="thư"),
            o.to_mailbox(),
        ),
        typed.RemindOptions,
        "outreach:remind",
    ),
    Command(
        "verify",
        "kiểm tra lại đầu vào và kết quả của một lần tổng hợp",
        "Tính lại SHA-256 của các tệp đầu vào ghi trong manifest.json và của các tệp kết quả ghi "
        "trong SHA256SUMS, báo tệp nào đã thay đổi hoặc mất. Trả mã 1 nếu có.",
        (
            o.run_folder(),
            o.inbox(
                "thư mục đầu vào nếu đã chuyển chỗ (mặc định: như ghi trong manifest)", beside_program=False
            ),
            o.run_log(),
            o.debug(),
        ),
        typed.VerifyOptions,
        "audit:verify_run",
    ),
    Command(
        "review",
        "báo cáo tổng kết nhiều năm từ sổ theo dõi mô hình, vào outbox/tong-ket-<từ>-<đến>",
        "Báo cáo tổng kết các năm --from đến --to từ sổ theo dõi mô hình (Word, HTML) và sổ tay mô "
        "hình, điển hình (Word, trang HTML, dữ liệu mở) vào outbox/tong-ket-<từ>-<đến>/. Năm chưa "
        "có trong sổ được nêu tên; không năm nào có: mã 2.",
        (
            o.year_from(),
            o.year_to(),
            o.outbox(),
            o.period(),
            o.schemas(),
            o.templates(of="mẫu báo cáo Jinja"),
            o.report_date(on="báo cáo"),
            o.document_number(),
            o.signer(),
            o.debug(),
        ),
        typed.ReviewOptions,
        "review:review",
    ),
    Command(
        "fetch",
        "lấy thư báo cáo từ hộp thư của Ban (IMAP) vào inbox",
        "Đọc thư mục hộp thư ghi trong schemas/mailbox.yaml (chỉ đọc: không xóa, không chuyển, "
        "không đánh dấu đã đọc) và lưu mỗi thư có bảng tính hoặc tệp nén đính kèm thành tệp .eml "
        "trong inbox. Chạy lại chỉ lấy thư mới. Mật khẩu: biến môi trường, keyring hoặc gõ khi "
        "được hỏi; không bao giờ được ghi ra tệp.",
        (o.schemas(), o.debug(), o.inbox("thư mục lưu thư (mặc định: inbox)"), o.since()),
        typed.FetchOptions,
        "imap:fetch",
    ),
    Command(
        "register",
        "sổ theo dõi mô hình qua các kỳ: dựng lại từ outbox",
        "Sổ theo dõi mô hình qua các kỳ (outbox/so-mo-hinh.sqlite) được lập từ các thư mục kết "
        'quả trong outbox. "rebuild": xóa và lập lại sổ từ các thư mục đó (không mất gì; mỗi lần '
        "tổng hợp cũng tự cập nhật sổ).",
        (o.action(rebuild="lập lại sổ từ các thư mục kết quả"), o.outbox(), *o.for_a_period()),
        typed.RegisterOptions,
        "registers:rebuild_register",
    ),
    Command(
        "registry",
        "chọn danh sách đơn vị báo cáo một lần cho mọi lệnh",
        'Danh sách đơn vị báo cáo mà mọi lệnh dùng (schemas/units.yaml). "use DANH_SÁCH": chép '
        "danh sách đó (thư mục có tệp units.yaml, ví dụ presets/khanh-hoa-2025, hoặc chính tệp) "
        "vào schemas/units.yaml, sau khi kiểm tra; danh sách cũ được giữ trong schemas/cu/. Từ đó "
        'mọi lệnh dùng danh sách này, không cần thêm --schemas. "show": xem danh sách đang dùng.',
        (
            o.action(use="chọn danh sách", show="xem danh sách đang dùng"),
            o.unit_list(),
            o.schemas(of="thư mục cấu hình nhận danh sách"),
            o.debug(),
        ),
        typed.RegistryOptions,
        "registers:registry",
    ),
)
