"""The command line the Board's staff use: argument parsing, in Vietnamese, and the exit codes.

The commands (``COMMANDS``; ``run`` when none is named) are carried out by ``commands``.

Exit codes: 0 outputs written (rejections are reported, not fatal); 1 an unexpected failure,
or for ``check`` a file with errors; 2 bad usage or a broken schema.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from aggregator import config as config_module
from aggregator.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
COMMANDS: tuple[str, ...] = ("run", "template", "check", "verify", "status", "remind", "fetch", "register")
COMMANDS += ("registry", "review")  # review: the review of several years (aggregator/pipeline/review.py)
MIN_YEAR, MAX_YEAR = 2000, 2100


class _Parser(argparse.ArgumentParser):
    """argparse speaking Vietnamese at the boundary."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"Lỗi cách dùng: {_translate(message)}\nXem hướng dẫn: python {self.prog} --help\n")
        raise SystemExit(2)

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "Cách dùng:")

    def format_help(self) -> str:
        text = (
            super()
            .format_help()
            .replace("usage:", "Cách dùng:")
            .replace("options:", "Tùy chọn:")
            .replace("positional arguments:", "Tham số:")
        )
        default = getattr(self, "default_command", None)
        if default is not None:  # the top level shows the options of the command it runs
            options = default.format_help().split("Tùy chọn:", 1)[1]
            text += f"\nTùy chọn của lệnh run (dùng được cả khi không ghi lệnh):{options}"
        return text


def _translate(message: str) -> str:
    for english, vietnamese in (
        ("unrecognized arguments", "tham số không hiểu được"),
        ("the following arguments are required", "thiếu tham số"),
        ("invalid choice", "lựa chọn không hợp lệ"),
        ("invalid int value", "không phải số nguyên"),
        ("expected one argument", "cần một giá trị"),
        ("choose from", "chọn một trong"),
        ("ambiguous option", "tùy chọn không rõ"),
        ("could match", "có thể là"),
        ("not allowed with argument", "không dùng cùng với"),
        ("argument", "tham số"),
    ):
        message = message.replace(english, vietnamese)
    return message


def _date(text: str) -> dt.date:
    found = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", text)
    day, month, year = (int(x) for x in found.groups()) if found else (0, 0, 0)
    if not found:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'ngày "{text}" cần dạng dd/mm/yyyy, ví dụ 15/12/2026') from None
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f'ngày "{text}" không có thật: không có tháng {month}')
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'ngày "{text}" không có thật: tháng {month} năm {year} không có ngày {day}'
        ) from None


def _year(text: str) -> int:
    """A report year: four digits, within the years the plan could ever concern."""
    if not text.strip().isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise argparse.ArgumentTypeError(
            f'năm "{text}" không hợp lệ: cần một năm từ {MIN_YEAR} đến {MAX_YEAR}, ví dụ 2026'
        )
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="aggregate.py",
        add_help=False,
        description="Tổng hợp báo cáo mô hình, điển hình trong học tập và làm theo "
        "tư tưởng, đạo đức, phong cách Hồ Chí Minh từ các đơn vị.",
        epilog="Không ghi lệnh thì chương trình chạy lệnh run.",
    )
    parser.add_argument("-h", "--help", action="help", help="xem hướng dẫn này rồi thoát")
    commands = parser.add_subparsers(dest="command", title="Các lệnh", metavar="LỆNH", parser_class=_Parser)
    run = commands.add_parser(
        "run",
        add_help=False,
        help="tổng hợp các tệp trong inbox, ghi báo cáo vào outbox (lệnh mặc định)",
        description="Đọc mọi tệp trong hộp thư đến, kiểm tra, tổng hợp và "
        "ghi báo cáo, tệp tổng hợp, tệp phản hồi vào outbox.",
    )
    _common(run)
    _reads_inbox(run)
    parser.default_command = run  # type: ignore[attr-defined]
    run.add_argument(
        "--templates",
        type=Path,
        default=ROOT / "templates",
        metavar="THƯ_MỤC",
        help="thư mục mẫu báo cáo Jinja (mặc định: templates)",
    )
    run.add_argument(
        "--report-date",
        type=_date,
        default=None,
        metavar="NGÀY",
        help="ngày ghi trên báo cáo, dạng dd/mm/yyyy (mặc định: hôm nay)",
    )
    run.add_argument(
        "--so",
        dest="document_number",
        default=None,
        metavar="SỐ",
        help="số văn bản của báo cáo, ví dụ --so 123: ghi ở đầu báo cáo và dưới tên mỗi phụ lục, "
        "bản Word và HTML (mặc định: document_number trong schemas/report.yaml)",
    )
    run.add_argument(
        "--nguoi-ky",
        dest="signer",
        default=None,
        metavar="HỌ_TÊN",
        help='họ tên người ký báo cáo, ví dụ --nguoi-ky "Trần Thị Bích" (mặc định: signer.name '
        "trong schemas/report.yaml)",
    )
    template = commands.add_parser(
        "template",
        add_help=False,
        help="tạo biểu mẫu chuẩn cho từng đơn vị vào outbox/templates",
        description="Tạo biểu mẫu chuẩn (một tệp cho mỗi đơn vị, một tệp để trống) vào outbox/templates.",
    )
    _common(template)
    check = commands.add_parser(
        "check",
        add_help=False,
        help="kiểm tra một hoặc vài tệp, in các lỗi",
        description="Kiểm tra từng tệp và in các lỗi, không ghi gì ra outbox. Trả mã 1 nếu có tệp bị lỗi.",
    )
    check.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="TỆP",
        help="tệp bảng tính, thư đã lưu (.eml) hoặc thư mục cần kiểm tra",
    )
    _common(check, outbox=False)
    _reads_outbox(check)
    status = commands.add_parser(
        "status",
        add_help=False,
        help="bảng tình hình nhận báo cáo đến hôm nay: ai đã gửi, ai chưa",
        description="Đọc hộp thư đến (không ghi gì ra outbox) và in bảng "
        "các đơn vị đã gửi, ngày gửi, đơn vị còn thiếu.",
    )
    _common(status, outbox=False)
    _reads_outbox(status)
    remind = commands.add_parser(
        "remind",
        add_help=False,
        help="soạn thư nhắc (.eml) cho các đơn vị chưa gửi",
        description="Soạn cho mỗi đơn vị chưa có báo cáo dùng được một "
        "thư nhắc sẵn sàng gửi (kèm biểu mẫu của đơn vị) vào "
        "outbox/<năm>/nhac-nho/.",
    )
    _common(remind)
    for command in (status, remind):
        _reads_inbox(command)
    remind.add_argument(
        "--templates",
        type=Path,
        default=ROOT / "templates",
        metavar="THƯ_MỤC",
        help="thư mục mẫu thư (mặc định: templates)",
    )
    remind.add_argument(
        "--report-date",
        type=_date,
        default=None,
        metavar="NGÀY",
        help="ngày ghi trên thư, dạng dd/mm/yyyy (mặc định: hôm nay)",
    )
    for command in (run, check):
        command.add_argument(
            "--json", action="store_true", help="in kết quả dạng JSON (cho chương trình khác đọc)"
        )
    verify = commands.add_parser(
        "verify",
        add_help=False,
        help="kiểm tra lại đầu vào và kết quả của một lần tổng hợp",
        description="Tính lại SHA-256 của các tệp đầu vào ghi trong "
        "manifest.json và của các tệp kết quả ghi trong "
        "SHA256SUMS, báo tệp nào đã thay đổi hoặc mất. "
        "Trả mã 1 nếu có.",
    )
    verify.add_argument("-h", "--help", action="help", help="xem hướng dẫn này rồi thoát")
    verify.add_argument(
        "folder",
        type=Path,
        metavar="THƯ_MỤC_KẾT_QUẢ",
        help="thư mục kết quả của một lần chạy, ví dụ outbox/2026",
    )
    verify.add_argument(
        "--inbox",
        type=Path,
        default=None,
        metavar="THƯ_MỤC",
        help="thư mục đầu vào nếu đã chuyển chỗ (mặc định: như ghi trong manifest)",
    )
    verify.add_argument(
        "--run-log",
        type=Path,
        default=None,
        metavar="TỆP",
        help="nhật ký chạy run-log.jsonl nếu đã chuyển chỗ (mặc định: trong thư mục outbox)",
    )
    verify.add_argument("--debug", action="store_true", help="in chi tiết khi có lỗi bất ngờ")
    review = commands.add_parser(
        "review",
        add_help=False,
        help="báo cáo tổng kết nhiều năm từ sổ theo dõi mô hình, vào outbox/tong-ket-<từ>-<đến>",
        description="Báo cáo tổng kết các năm --from đến --to từ sổ theo dõi mô hình (Word, HTML) vào "
        "outbox/tong-ket-<từ>-<đến>/. Năm chưa có trong sổ được nêu tên; không năm nào có: mã 2.",
    )
    review.add_argument("-h", "--help", action="help", help="xem hướng dẫn này rồi thoát")
    for flag, said in (("--from", "năm đầu của giai đoạn"), ("--to", "năm cuối")):
        review.add_argument(
            flag, dest=f"year_{flag[2:]}", type=_year, required=True, metavar="NĂM", help=said
        )
    shared = ("outbox", "period", "schemas", "templates", "report_date", "document_number", "signer", "debug")
    for action in [a for a in run._actions if a.dest in shared]:  # as the December report's
        review._add_action(action)
    _mailbox(commands, run, remind)
    _add_register(commands)
    _add_registry(commands)
    return parser


def _add_registry(commands: argparse._SubParsersAction) -> None:
    registry = commands.add_parser(
        "registry",
        add_help=False,
        help="chọn danh sách đơn vị báo cáo một lần cho mọi lệnh",
        description='Danh sách đơn vị báo cáo mà mọi lệnh dùng (schemas/units.yaml). "use DANH_SÁCH": '
        "chép danh sách đó (thư mục có tệp units.yaml, ví dụ presets/khanh-hoa-2025, hoặc "
        "chính tệp) vào schemas/units.yaml, sau khi kiểm tra; danh sách cũ được giữ trong "
        'schemas/cu/. Từ đó mọi lệnh dùng danh sách này, không cần thêm --schemas. "show": '
        "xem danh sách đang dùng.",
    )
    registry.add_argument("-h", "--help", action="help", help="xem hướng dẫn này rồi thoát")
    registry.add_argument(
        "action",
        choices=["use", "show"],
        metavar="use|show",
        help="use: chọn danh sách; show: xem danh sách đang dùng",
    )
    registry.add_argument(
        "list",
        nargs="?",
        type=Path,
        default=None,
        metavar="DANH_SÁCH",
        help="với use: thư mục có tệp units.yaml (ví dụ presets/khanh-hoa-2025) hoặc tệp units.yaml",
    )
    registry.add_argument(
        "--schemas",
        type=Path,
        default=config_module.BUNDLED,
        metavar="THƯ_MỤC",
        help="thư mục cấu hình nhận danh sách (mặc định: schemas)",
    )
    registry.add_argument("--debug", action="store_true", help="in chi tiết khi có lỗi bất ngờ")


def _mailbox(
    commands: argparse._SubParsersAction, run: argparse.ArgumentParser, remind: argparse.ArgumentParser
) -> None:
    """The Board's mailbox: ``fetch`` into the inbox, ``--to-mailbox`` for the drafts."""
    fetch = commands.add_parser(
        "fetch",
        add_help=False,
        help="lấy thư báo cáo từ hộp thư của Ban (IMAP) vào inbox",
        description="Đọc thư mục hộp thư ghi trong schemas/mailbox.yaml "
        "(chỉ đọc: không xóa, không chuyển, không đánh dấu đã "
        "đọc) và lưu mỗi thư có bảng tính hoặc tệp nén đính "
        "kèm thành tệp .eml trong inbox. Chạy lại chỉ lấy thư "
        "mới. Mật khẩu: biến môi trường, keyring hoặc gõ khi "
        "được hỏi; không bao giờ được ghi ra tệp.",
    )
    fetch.add_argument("-h", "--help", action="help", help="xem hướng dẫn này rồi thoát")
    fetch.add_argument(
        "--schemas",
        type=Path,
        default=config_module.BUNDLED,
        metavar="THƯ_MỤC",
        help="thư mục cấu hình (mặc định: schemas)",
    )
    fetch.add_argument("--debug", action="store_true", help="in chi tiết khi có lỗi bất ngờ")
    fetch.add_argument(
        "--inbox",
        type=Path,
        default=ROOT / "inbox",
        metavar="THƯ_MỤC",
        help="thư mục lưu thư (mặc định: inbox)",
    )
    fetch.add_argument(
        "--since",
        type=_date,
        default=None,
        metavar="NGÀY",
        help="chỉ lấy thư nhận từ ngày này, dạng dd/mm/yyyy (mặc định: mục since trong schemas/mailbox.yaml)",
    )
    for command in (run, remind):
        command.add_argument(
            "--to-mailbox",
            action="store_true",
            help="đặt thêm các thư soạn sẵn vào thư mục Thư nháp của hộp thư "
            "(IMAP, schemas/mailbox.yaml) để đọc lại và tự bấm Gửi; "
            "không bao giờ tự gửi",
        )


def _add_register(commands: argparse._SubParsersAction) -> None:
    register = commands.add_parser(
        "register",
        add_help=False,
        help="sổ theo dõi mô hình qua các kỳ: dựng lại từ outbox",
        description="Sổ theo dõi mô hình qua các kỳ (outbox/so-mo-hinh.sqlite) được lập từ các "
        'thư mục kết quả trong outbox. "rebuild": xóa và lập lại sổ từ các thư mục '
        "đó (không mất gì; mỗi lần tổng hợp cũng tự cập nhật sổ).",
    )
    register.add_argument(
        "action", choices=["rebuild"], metavar="rebuild", help="rebuild: lập lại sổ từ các thư mục kết quả"
    )
    _common(register)


def _common(parser: argparse.ArgumentParser, outbox: bool = True) -> None:
    parser.add_argument("-h", "--help", action="help", help="xem hướng dẫn này rồi thoát")
    if outbox:
        parser.add_argument(
            "--outbox",
            type=Path,
            default=ROOT / "outbox",
            metavar="THƯ_MỤC",
            help="thư mục ghi kết quả (mặc định: outbox)",
        )
    parser.add_argument(
        "--year",
        type=_year,
        default=dt.date.today().year,
        metavar="NĂM",
        help="năm báo cáo (mặc định: năm nay)",
    )
    parser.add_argument(
        "--period",
        choices=config_module.PERIODS,
        default="annual",
        metavar="KỲ",
        help="kỳ báo cáo: annual (năm, mặc định) hoặc half_year (6 tháng)",
    )
    parser.add_argument(
        "--schemas",
        type=Path,
        default=config_module.BUNDLED,
        metavar="THƯ_MỤC",
        help="thư mục cấu hình (mặc định: schemas)",
    )
    parser.add_argument("--debug", action="store_true", help="in chi tiết khi có lỗi bất ngờ")


def _reads_outbox(parser: argparse.ArgumentParser) -> None:
    """``check`` and ``status`` write nothing: the outbox is only read, for its register."""
    parser.add_argument(
        "--outbox",
        type=Path,
        default=ROOT / "outbox",
        metavar="THƯ_MỤC",
        help="thư mục kết quả, chỉ đọc: không bao giờ bị đọc như tệp đơn vị gửi; sổ theo dõi mô "
        "hình trong đó dùng để đối chiếu mã và các kỳ trước (mặc định: outbox)",
    )


def _reads_inbox(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--inbox",
        type=Path,
        default=ROOT / "inbox",
        metavar="THƯ_MỤC",
        help="thư mục chứa các tệp đơn vị gửi (mặc định: inbox)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="SỐ",
        help="số tiến trình đọc tệp cùng lúc (mặc định: số nhân CPU của máy)",
    )


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'"{text}" cần là số nguyên dương')
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*COMMANDS, "-h", "--help"):
        args_list.insert(0, "run")
    parser = build_parser()
    args = parser.parse_args(args_list)
    outbox = getattr(args, "outbox", None)
    if outbox is not None and outbox.exists() and not outbox.is_dir():
        parser.error(
            f"--outbox {outbox} là một tệp, không phải thư mục: chọn một thư mục "
            "(chưa có thì chương trình tự tạo)"
        )
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s %(message)s" if args.debug else "Lưu ý: %(message)s",
    )  # staff read the warnings, in Vietnamese
    try:
        from aggregator import commands

        if args.command == "verify":
            return commands.verify_run(args)
        if args.command == "registry" and args.action == "use":  # the list in use may be the broken one
            if args.list is None:
                parser.error(
                    "registry use cần đường dẫn danh sách, ví dụ: registry use presets/khanh-hoa-2025"
                )
            return commands.use_registry(args)
        config = config_module.load(args.schemas)
        return commands.COMMANDS[args.command](args, config)
    except ConfigError as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a program that stopped reading (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(
            "Đã dừng theo yêu cầu. Kết quả chỉ được thay khi đã ghi xong, nên outbox vẫn là "
            "kết quả đầy đủ gần nhất.",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"Lỗi bất ngờ: {type(exc).__name__}: {exc}. Kết quả chỉ được thay khi đã ghi xong, "
            "nên outbox vẫn là kết quả đầy đủ gần nhất. Chạy lại với --debug và gửi nội dung "
            "cho bộ phận kỹ thuật.",
            file=sys.stderr,
        )
        return 1
