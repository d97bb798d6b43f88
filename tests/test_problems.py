import re

from aggregator import problems
from aggregator.problems import Severity


def test_every_template_fills_from_its_own_placeholders():
    for code in problems.ProblemCode:
        severity, template = code.severity, code.template
        assert severity in (Severity.ERROR, Severity.WARNING), code
        names = set(re.findall(r"{(\w+)}", template))
        params = {n: "X" for n in names - {"value", "column", "sheet"}}
        made = problems.make(code, value="v", column="c", **params)
        assert made.code == code and "{" not in made.message


def test_severity_can_be_overridden_by_the_rules():
    made = problems.make("new_not_report_year", severity="error", value=2020, year=2026)
    assert made.is_error and "2020" in made.message


def test_the_technical_detail_is_kept_to_500_characters():
    made = problems.make("file_unreadable", detail="d", technical="t" * 501)
    assert made.technical == "t" * 500
    assert problems.make("file_unreadable", detail="d", technical="t" * 500).technical == "t" * 500
