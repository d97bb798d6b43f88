#!/usr/bin/env python3
"""Make the real-file fixtures in tests/data/ (run by hand; the outputs are committed).

Needs LibreOffice (soffice) for the files "saved by LibreOffice", and msoffcrypto-tool
(pip install msoffcrypto-tool, not a project dependency) for the password-protected one.
saved-by-mutt.eml is a real message composed by mutt (batch mode, its sendmail pointed at a
script that saves the message) with saved-by-libreoffice.xlsx attached as
"Báo cáo mô hình - HU Khánh Sơn.xlsx": mutt writes that name as RFC 2231 continuations.
The same three models are in each: the unit is Huyện ủy Khánh Sơn; row 2 (field 3 with
"Cá nhân") is rejected; rows 1 and 3 are accepted.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from builders import model, workbook  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = workbook(
            Path(tmp) / "source.xlsx",
            [
                model("Mô hình A", 5, "Tập thể"),
                model("Mô hình B", 3, "Cá nhân"),
                model("Mô hình C", 11, "Cá nhân", places=1),
            ],
            code="khanh-son",
            name="Huyện ủy Khánh Sơn",
            report_date="04/12/2026",
        )
        for kind in ("ods", "xls", "xlsx"):
            out = Path(tmp) / kind
            subprocess.run(
                [
                    "soffice",
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
            shutil.copy(out / f"source.{kind}", HERE / f"saved-by-libreoffice.{kind}")
        from msoffcrypto.format.ooxml import OOXMLFile

        with source.open("rb") as plain, (HERE / "password-protected.xlsx").open("wb") as out:
            OOXMLFile(plain).encrypt("123", out)


if __name__ == "__main__":
    main()
