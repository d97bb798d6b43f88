"""The auditor's command, verify: a run's inputs and outputs checked against what it recorded.

It imports none of the heavy libraries (pandas, Jinja, the renderers): an auditor's check is fast.
"""

from __future__ import annotations

import sys

from aggregator.commands.typed import VerifyOptions
from aggregator.outbox import verify


def verify_run(given: VerifyOptions) -> int:
    """Whether a run's inputs and outputs are unchanged since it was written."""
    if not given.folder.is_dir():
        print(f"Không thấy thư mục kết quả {given.folder}.", file=sys.stderr)
        return 2
    try:
        verdict = verify.verify(given.folder, given.inbox, given.run_log)
    except verify.NotARun as not_a_run:
        print(
            f"{given.folder} không phải thư mục kết quả của một lần tổng hợp ("
            + (not_a_run.why or "thiếu manifest.json hoặc SHA256SUMS")
            + ").",
            file=sys.stderr,
        )
        return 2
    for kind, label in (("inputs", "Tệp đầu vào"), ("outputs", "Tệp kết quả")):
        print(
            f"{label}: {len(verdict.matched[kind])} khớp, {len(verdict.changed[kind])} đã "
            f"thay đổi, {len(verdict.missing[kind])} không còn."
        )
        for name in verdict.changed[kind]:
            print(f"  Đã thay đổi: {name}")
        for name in verdict.missing[kind]:
            print(f"  Không còn: {name}")
    for names, label in (
        (verdict.unlisted, "Tệp lạ (không có trong manifest.json và SHA256SUMS)"),
        (
            verdict.unsummed,
            "Tệp kết quả có trong manifest.json nhưng thiếu trong SHA256SUMS (hoặc ghi mã khác)",
        ),
        (verdict.outside, "Đường dẫn trỏ ra ngoài thư mục (bị từ chối)"),
        (verdict.added, "Tệp mới trong thư mục đầu vào từ sau lần tổng hợp (chạy lại sẽ xét tệp này)"),
    ):
        for name in names:
            print(f"  {label}: {name}")
    print(f"Mã SHA-256 của manifest.json: {verdict.manifest_sha256}")
    if verdict.log is None:
        print(
            "  Không thấy nhật ký chạy run-log.jsonl (chỉ định bằng --run-log): không chứng minh "
            "được manifest.json và SHA256SUMS chưa bị viết lại cùng nhau."
        )
    elif verdict.manifest_logged is None:
        print(f"  manifest.json KHÔNG khớp lần chạy nào trong nhật ký {verdict.log}: đã bị viết lại.")
    else:
        print(f"  Khớp nhật ký chạy {verdict.log} (lần chạy lúc {verdict.manifest_logged}).")
        if verdict.sums_logged is False:
            print(
                "  SHA256SUMS KHÔNG khớp nhật ký chạy: đã bị viết lại sau lần chạy (hoặc lần soạn thư nhắc)."
            )
        elif verdict.sums_logged is None:
            print(
                "  Nhật ký (phiên bản cũ) không ghi mã SHA256SUMS: tệp này chỉ được đối chiếu "
                "với manifest.json."
            )
    touched = (
        any(verdict.changed.values())
        or any(verdict.missing.values())
        # the manifest or the sums rewritten since the run, as its log tells
        or (verdict.log is not None and (verdict.manifest_logged is None or verdict.sums_logged is False))
    )
    print(
        "Mọi tệp còn nguyên như lúc tổng hợp."
        if verdict.intact
        else "CÓ TỆP ĐÃ THAY ĐỔI HOẶC MẤT SAU LẦN TỔNG HỢP NÀY."
        if touched
        else "CÁC TỆP CỦA LẦN TỔNG HỢP CÒN NGUYÊN, NHƯNG THƯ MỤC CÓ ĐIỀU BẤT THƯỜNG (xem trên)."
    )
    return 0 if verdict.intact else 1
