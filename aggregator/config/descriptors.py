"""The shape each schemas/*.yaml file must have (JSON Schema), and its errors in Vietnamese."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aggregator.config import book

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# Columns the pipeline computes with (``model.Record``'s typed accessors, one each); a
# workbook.yaml without them cannot be used.
REQUIRED_COLUMNS = (
    "name",
    "field",
    "subject",
    "performer",
    "year_built",
    "status",
    "stage",
    "content",
    "replications",
    "reward_form",
    "reward_decision",
    "publicised",
    "model_code",  # continuity gives every record its code
)

_TEXT = {"type": "string", "minLength": 1}
_TEXTS = {"type": "array", "items": _TEXT}
_CHOICE = {
    "type": "object",
    "required": ["code", "label"],
    "properties": {"code": {"type": ["string", "integer"]}, "label": _TEXT, "aliases": _TEXTS},
    "additionalProperties": False,
}
_LABEL = {
    "type": "object",
    "required": ["key", "label"],
    "properties": {"key": _TEXT, "label": _TEXT, "aliases": _TEXTS},
    "additionalProperties": False,
}

UNITS = {
    "type": "object",
    "required": ["groups", "units"],
    "properties": {
        "origin": _TEXT,  # the list this one was copied from (written by ``registry use``)
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "name"],
                "properties": {"code": _TEXT, "name": _TEXT},
                "additionalProperties": False,
            },
        },
        "matching": {
            "type": "object",
            "properties": {
                "abbreviations": {"type": "object", "additionalProperties": _TEXT},
                "ignore": _TEXTS,
                "organisations": _TEXTS,
                "levels": {"type": "object", "additionalProperties": {"anyOf": [_TEXTS, {"type": "null"}]}},
            },
            "additionalProperties": False,
        },
        "units": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "name", "group"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                    "name": _TEXT,
                    "group": _TEXT,
                    "quota": {"type": "integer", "minimum": 0},
                    "aliases": _TEXTS,
                    "emails": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$"},
                    },
                    # the units of an earlier registry this one succeeds (renamed, merged into
                    # it): it inherits their models in the register
                    "formerly": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["code", "name"],
                            "properties": {
                                "code": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                                "name": _TEXT,
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}

FIELDS = {
    "type": "object",
    "required": ["subjects", "fields"],
    "properties": {
        "subjects": {"type": "array", "minItems": 1, "items": _CHOICE},
        "fields": {
            "type": "array",
            "minItems": 11,
            "items": {
                "type": "object",
                "required": ["code", "name", "subjects"],
                "properties": {
                    "code": {"type": "integer", "minimum": 1},
                    "name": _TEXT,
                    "short": _TEXT,
                    "subjects": {"type": "array", "minItems": 1, "items": _TEXT},
                    "aliases": _TEXTS,
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}

WORKBOOK = {
    "type": "object",
    "required": [
        "template_version",
        "sheets",
        "periods",
        "info",
        "assessment",
        "columns",
        "rules",
        "meanings",
        "totals_labels",
        "signature",
        "earliest_year",
        "limits",
    ],
    "properties": {
        "template_version": {"type": ["string", "number"]},
        "sheets": {
            "type": "object",
            "required": ["guide", "info", "list", "assessment", "meta"],
            "additionalProperties": _TEXT,
        },
        "periods": {"type": "array", "items": _CHOICE},
        "info": {"type": "array", "items": _LABEL},
        "assessment": {"type": "array", "items": _LABEL},
        "columns": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "header", "type"],
                "properties": {
                    "key": {"type": "string", "pattern": "^[a-z_]+$"},
                    "header": _TEXT,
                    "aliases": _TEXTS,
                    "type": {"enum": ["text", "integer", "count", "year", "field", "subject", "choice"]},
                    "required": {"type": "boolean"},
                    "width": {"type": "integer", "minimum": 1, "maximum": 120},
                    "choices": {"type": "array", "minItems": 1, "items": _CHOICE},
                },
                "additionalProperties": False,
                "if": {"properties": {"type": {"const": "choice"}}},
                "then": {"required": ["choices"]},
            },
        },
        "rules": {"type": "object", "additionalProperties": {"enum": ["error", "warning", "off"]}},
        # what the codes of the status and stage columns mean (checked against their choices)
        "meanings": {
            "type": "object",
            "required": ["new", "continuing", "stages"],
            "properties": {
                "new": _TEXT,
                "continuing": _TEXT,
                "stages": {"type": "array", "minItems": 1, "items": _TEXT},
            },
            "additionalProperties": False,
        },
        "totals_labels": _TEXTS,
        "signature": {
            "type": "object",
            "required": ["starts", "titles", "surnames"],
            "properties": {"starts": _TEXTS, "titles": _TEXTS, "surnames": _TEXTS},
            "additionalProperties": False,
        },
        "earliest_year": {"type": "integer", "minimum": 1800},
        "limits": {
            "type": "object",
            "required": [
                "max_file_bytes",
                "max_uncompressed_bytes",
                "max_compression_ratio",
                "max_rows",
                "max_columns",
                "header_search_rows",
                "max_email_bytes",
                "max_unpacked_bytes",
                "max_nesting_depth",
                "max_parts",
                "max_cells_per_sheet",
                "max_cells_per_workbook",
                "max_seconds_per_file",
                "max_worker_memory_bytes",
                "max_replications",
            ],
            "additionalProperties": {"type": "integer", "minimum": 1},
        },
    },
    "additionalProperties": False,
}

# What the report's outstanding models (II.4) may be chosen by, in the order report.yaml
# lists them, and how the report says each (one sentence says how they were chosen). The names
# are report.yaml's words, not codes of the workbook: "honoured" is "at the last stage of
# workbook.yaml's meanings.stages", whatever that stage's code is; {honoured} is its label.
OUTSTANDING_CRITERIA = {
    "honoured": 'đã đạt giai đoạn "{honoured}"',
    "reward_decision": "được khen thưởng có số, ngày quyết định",
    "rewarded": "được khen thưởng",
    "replications": "được nhân rộng ở nhiều nơi hơn",
    "rated_good": 'được đơn vị đánh giá "Tốt"',
    "publicised": "đã được tuyên truyền trên báo chí",
}
# The criteria when report.yaml names none.
DEFAULT_OUTSTANDING = ("honoured", "reward_decision", "replications", "rewarded")

REPORT = {
    "type": "object",
    "required": [
        "province",
        "place",
        "superior",
        "board",
        "party_line",
        "plan",
        "title",
        "subject",
        "deadlines",
        "signer",
        "recipients",
    ],
    "properties": {
        "province": _TEXT,
        "place": _TEXT,
        "superior": _TEXT,
        "party_line": _TEXT,
        "plan": _TEXT,
        "title": _TEXT,
        "document_number": {"type": "string"},
        "board": {
            "type": "object",
            "required": ["name", "full_name", "symbol"],
            "properties": {
                "name": _TEXT,
                "full_name": _TEXT,
                "symbol": _TEXT,
                "email": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$"},
            },
            "additionalProperties": False,
        },
        "subject": {"type": "object", "required": ["annual", "half_year"], "additionalProperties": _TEXT},
        "deadlines": {
            "type": "object",
            "required": ["annual", "half_year"],
            "additionalProperties": {"type": "string", "pattern": "^[01]?[0-9]-[0-3]?[0-9]$"},
        },
        "signer": {
            "type": "object",
            "required": ["title", "name"],
            "properties": {
                "on_behalf": {"type": "boolean"},
                "head_title": _TEXT,
                "title": _TEXT,
                "name": _TEXT,
            },
            "additionalProperties": False,
        },
        "recipients": {"type": "array", "minItems": 1, "items": _TEXT},
        "outstanding_models": {"type": "integer", "minimum": 0},
        "outstanding_criteria": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(OUTSTANDING_CRITERIA)},
        },
        "list_limit": {"type": "integer", "minimum": 0},
        "chart_units_limit": {"type": "integer", "minimum": 1},
        "time_zone": _TEXT,
        "book": book.SCHEMA,  # the book of models: what it publishes (config/book.py)
    },
    "additionalProperties": False,
}

# schemas/mailbox.yaml: read only by the commands that use the mailbox (fetch, --to-mailbox),
# so a Board that saves its emails by hand needs no such file. No key for a password, ever.
MAILBOX = {
    "type": "object",
    "required": ["host", "port", "security", "user", "folder", "drafts_folder", "since"],
    "properties": {
        "host": {"type": "string", "pattern": "^[A-Za-z0-9.:\\[\\]-]+$"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "security": {"enum": ["imaps", "starttls", "plain"]},
        "user": _TEXT,
        "folder": _TEXT,
        "drafts_folder": _TEXT,
        "since": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "ca_file": {"type": "string"},
        "password_env": {"type": "string", "pattern": "^([A-Za-z_][A-Za-z0-9_]*)?$"},
        "keyring_service": {"type": "string"},
        "max_message_bytes": {"type": "integer", "minimum": 1},
        "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
        "deadline_seconds": {"type": "integer", "minimum": 1, "maximum": 86400},
    },
    "additionalProperties": False,
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "units": UNITS,
    "fields": FIELDS,
    "workbook": WORKBOOK,
    "report": REPORT,
}

_EXPLAIN = {
    "required": "thiếu mục bắt buộc {missing}",
    "type": "cần kiểu {expected}, đang là {instance!r}",
    "enum": "giá trị {instance!r} không hợp lệ, phải là một trong {options}",
    "const": "giá trị {instance!r} không hợp lệ",
    "minimum": "giá trị {instance!r} nhỏ hơn mức tối thiểu {limit}",
    "maximum": "giá trị {instance!r} lớn hơn mức tối đa {limit}",
    "minItems": "danh sách cần ít nhất {limit} mục",
    "minProperties": "cần ít nhất {limit} mục",
    "minLength": "không được để trống",
    "pattern": "giá trị {instance!r} viết sai dạng",
    "additionalProperties": "có mục không được phép: {extra}",
}
_TYPES = {
    "string": "chữ",
    "integer": "số nguyên",
    "number": "số",
    "boolean": "true/false",
    "array": "danh sách",
    "object": "nhóm mục",
    "null": "rỗng",
}


def explain(error: ValidationError) -> str:
    """A jsonschema error said in Vietnamese."""
    template = _EXPLAIN.get(str(error.validator), "giá trị {instance!r} không hợp lệ")
    value = error.validator_value
    expected = value if isinstance(value, list) else [value]
    extra = ""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, Mapping) else {}  # (a schema may be True)
        allowed = set(schema.get("properties", {}))
        extra = ", ".join(sorted(str(k) for k in error.instance if k not in allowed))
    missing = ""
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = ", ".join(str(k) for k in expected if k not in error.instance)
    return template.format(
        instance=error.instance,
        limit=value,
        missing=missing,
        extra=extra,
        options=", ".join(str(v) for v in expected),
        expected=" hoặc ".join(_TYPES.get(str(t), str(t)) for t in expected),
    )
