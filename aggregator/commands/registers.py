"""The lists kept across periods: the register of models rebuilt, the registry of units chosen or shown."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys

from aggregator import config as config_module
from aggregator.commands.common import busy, registry_line
from aggregator.commands.options import UsageError
from aggregator.commands.typed import RegisterOptions, RegistryOptions
from aggregator.config import registry as units_registry
from aggregator.merging import register
from aggregator.outbox import swap as outbox


def rebuild_register(given: RegisterOptions) -> int:
    """The register of models written afresh from the period folders of the outbox."""
    config_module.load(given.schemas)  # the settings checked, as every command checks them
    if not given.outbox.is_dir():
        print(f"Không thấy thư mục kết quả {given.outbox}.", file=sys.stderr)
        return 2
    try:
        with outbox.locked(given.outbox):
            path = register.rebuild(given.outbox)
    except outbox.OutboxBusy:
        return busy(given.outbox)
    except (OSError, sqlite3.Error) as exc:
        where = given.outbox / register.DB_NAME
        print(
            f"Không ghi được sổ theo dõi mô hình {where} ({type(exc).__name__}: {exc}). Kiểm tra: "
            f"tên đó không phải một thư mục, thư mục {given.outbox} cho phép ghi, không chương trình "
            f"nào đang mở sổ; rồi chạy lại lệnh này. Các lần tổng hợp vẫn chạy được (dùng bản tạm).",
            file=sys.stderr,
        )
        return 1
    held = register.periods_held(path)  # what the register holds: damaged folders left out
    print(
        f"Đã lập lại sổ theo dõi mô hình {path} từ {len(held)} kỳ báo cáo"
        + (": " + ", ".join(held) + "." if held else ".")
    )
    return 0


def registry(given: RegistryOptions) -> int:
    """``use``: the unit list every command uses, chosen once; ``show``: the one in use."""
    if given.action == "show":
        print(registry_line(config_module.load(given.schemas)))
        return 0
    if given.list is None:  # (the settings not loaded: the list in use may be the broken one)
        raise UsageError("registry use cần đường dẫn danh sách, ví dụ: registry use presets/khanh-hoa-2025")
    chosen = units_registry.use(given.list, given.schemas, dt.date.today())
    if chosen.unchanged:
        print(f"Danh sách {chosen.origin} ({chosen.units} đơn vị) đã là danh sách đang dùng ({chosen.path}).")
        return 0
    print(
        f"Đã chọn danh sách đơn vị {chosen.origin} ({chosen.units} đơn vị): chép vào "
        f"{units_registry.shown(chosen.path)}."
    )
    print(
        "  Từ nay mọi lệnh (run, status, remind, check, template, fetch, register) dùng danh "
        "sách này, không cần thêm --schemas."
    )
    if chosen.backup is not None:
        print(f"  Danh sách trước được giữ ở {units_registry.shown(chosen.backup)}.")
    return 0
