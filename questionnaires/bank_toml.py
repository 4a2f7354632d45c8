"""A questionnaire written back as a question bank in TOML, the format of ``banks/sail.toml``
that ``Questionnaire.from_toml`` reads: ``to_toml(q)`` read back gives ``q`` again.

Standard library only, like the rest of the engine: the bank's shape is small (text, whole
numbers, tables and lists of tables), so it is written here rather than with a TOML library.
"""

from __future__ import annotations

import json
from typing import Any

from questionnaires.engine import Questionnaire


def _value(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a question bank holds text and whole numbers, not {value!r}")
    if isinstance(value, int):
        return str(value)
    # JSON's string escapes (\", \\, \n, \t, \uXXXX) are TOML's basic-string escapes.
    # DEL is the one control character JSON leaves as it is and TOML refuses.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: str) -> str:
    bare = key and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in key)
    return key if bare else json.dumps(key, ensure_ascii=False)


def _pairs(data: dict[str, Any]) -> list[str]:
    return [f"{_key(key)} = {_value(value)}" for key, value in data.items()]


def to_toml(questionnaire: Questionnaire) -> str:
    """The questionnaire as bank TOML."""
    data = questionnaire.to_dict()
    lines = [
        f"# Question bank {data['slug']}, version {data['version']}.",
        "# Changing a question is a new version: raise `version` before publishing.",
        "",
        *_pairs({key: data[key] for key in ("slug", "version", "title", "description")}),
    ]
    for borough in data["boroughs"]:
        lines += ["", "[[boroughs]]", *_pairs(borough)]
    for section in data["sections"]:
        lines += ["", "[[sections]]", *_pairs({"key": section["key"], "title": section["title"]})]
        for question in section["questions"]:
            by_borough = question.pop("partners_by_borough")
            plain = {key: value for key, value in question.items() if value != ""}
            lines += ["", "[[sections.questions]]", *_pairs(plain)]
            if by_borough:
                lines += ["", "[sections.questions.partners_by_borough]", *_pairs(by_borough)]
    return "\n".join(lines) + "\n"
