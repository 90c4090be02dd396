"""The one rule for text people type or import: no control characters.

A control character is invisible, breaks the spreadsheets the platform writes (openpyxl refuses
most of C0), and PostgreSQL refuses NUL outright. So every input path (Django forms through
`TextFormMixin`, the API through `TextGuardMiddleware` below, and the importers)
refuses them with a Chinese message that says which character and where:

- single-line fields (names, numbers, addresses; every `forms.CharField` whose widget is not a
  `Textarea`): no C0 or C1 control character at all, no tab, no line break;
- multi-line fields (descriptions, notes, summaries; a `Textarea`): line breaks only, `\\r\\n` and a
  lone `\\r` become `\\n`; a tab or any other control character is refused.

Also refused everywhere: lone surrogates and U+FFFE/U+FFFF (not characters; they break XML and
PostgreSQL's UTF-8) and the Unicode line/paragraph separators U+2028/U+2029.

Output is the other half: `wagewatch.core.export.cell_value` makes whatever is already stored
(legacy rows written before this rule) safe for a workbook.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

# Cc (C0, DEL, C1), surrogates, the two non-characters XML forbids, U+2028/U+2029.
_REFUSED_BEYOND_C0 = r"\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029"
SINGLE_LINE_REFUSED = re.compile(rf"[\x00-\x1f{_REFUSED_BEYOND_C0}]")
MULTI_LINE_REFUSED = re.compile(rf"[\x00-\x09\x0b-\x1f{_REFUSED_BEYOND_C0}]")  # \n allowed

_NAMES = {
    "\x00": "空字符(NUL)",
    "\t": "制表符(Tab)",
    "\n": "换行",
    "\r": "回车符",
    "\x0b": "垂直制表符",
    "\x0c": "换页符",
    "\u2028": "行分隔符",
    "\u2029": "段落分隔符",
}


def _describe(char: str) -> str:
    return _NAMES.get(char) or f"不可见的控制字符(U+{ord(char):04X})"


def normalise_newlines(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """The Chinese reason `value` is refused, or None. Multi-line values are checked after their
    line breaks are normalised (`text_clean` returns that form)."""
    if multiline:
        value = normalise_newlines(value)
    match = (MULTI_LINE_REFUSED if multiline else SINGLE_LINE_REFUSED).search(value)
    if match is None:
        return None
    char = match.group()
    where = f"第{match.start() + 1}个字符是{_describe(char)}"
    if char in "\n\r\u2028\u2029" and not multiline:
        return f"此项只能填一行,不能换行({where}),请删除换行后重新填写"
    return f"含有{where},请删除后重新填写(从其他软件复制的文字常带有这类看不见的字符)"


def shown(value: str) -> str:
    """A refused value as it may be stored in a report or shown back (PostgreSQL cannot hold a
    NUL even in JSON): every refused character becomes U+FFFD "�"."""
    return SINGLE_LINE_REFUSED.sub("\ufffd", value)


def text_clean(value: str, *, multiline: bool = False) -> str:
    """`value` if it has no refused character (line breaks normalised for multi-line text);
    otherwise `ValidationError` with the Chinese reason (code `control_character`)."""
    if not isinstance(value, str):
        return value
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise ValidationError(problem, code="control_character")
    return normalise_newlines(value) if multiline else value


def is_multiline_field(field: forms.Field) -> bool:
    return isinstance(field.widget, forms.Textarea)


def _checked_fields(form: forms.BaseForm):
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
            yield name, field


class TextFormMixin:
    """Every text field of the form is checked by `text_clean` (multi-line when its widget is a
    Textarea). Mixed into `wagewatch.core.forms.Form`, which every form of the platform uses
    (`core/tests/test_text.py` fails on a form that does not)."""

    def _clean_fields(self):
        super()._clean_fields()
        for name, field in _checked_fields(self):
            value = self.cleaned_data.get(name)
            if not isinstance(value, str) or name in self._errors:
                continue
            try:
                self.cleaned_data[name] = text_clean(value, multiline=is_multiline_field(field))
            except ValidationError as error:
                self.add_error(name, error)


# ---------------------------------------------------------------- the API's edge

# Keys of the API whose text may span lines (the Textarea fields of the pages); every other key is
# single-line, so a new field is checked strictly until it is added here.
MULTILINE_KEYS = frozenset(
    {"description", "summary", "note", "notes", "measures", "reason", "comment", "resolution_summary", "reply_text", "facts", "text"}
)


def json_text_problems(value, path: str = "") -> list[dict]:
    """Every refused string in a parsed JSON value (keys too), as API error items."""
    problems: list[dict] = []
    if isinstance(value, str):
        key = path.rsplit(".", 1)[-1].split("[", 1)[0]
        problem = text_problem(value, multiline=key in MULTILINE_KEYS)
        if problem:
            problems.append({"field": path, "message": problem})
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and text_problem(key):
                problems.append({"field": path or "body", "message": f"字段名{text_problem(key)}"})
                continue
            problems.extend(json_text_problems(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(json_text_problems(item, f"{path}[{index}]"))
    return problems


# What no page can store or search: PostgreSQL refuses NUL, UTF-8 cannot hold a lone surrogate.
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


# In a JSON body a refused character can only come as an escape (\\u0001, \\n, …), as raw C1 or
# U+2028/9/FFFE/FFFF, or as a raw control byte (invalid JSON, or whitespace between tokens).
# A body with none of these needs no walk (a 10,000-row payroll push, 1.5 MB: 240 ms → 65 ms in the guard).
_MAYBE_REFUSED_IN_JSON = re.compile(rb"\\[unrtbf]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]|\xef\xbf[\xbe\xbf]|[\x00-\x1f\x7f]")


class TextGuardMiddleware:
    """The API: refuses a request that carries a control character anywhere in its text (the
    path, the query, a form field or a JSON string) with 422 in the API's error shape, before any
    view runs, so nothing is written and PostgreSQL never sees a NUL.

    Pages: their forms check text (`TextFormMixin`); a few views read a parameter directly (a
    search box, a lookup), so a NUL or a lone surrogate in any query or form value is answered
    400 with a Chinese page here instead of reaching a query PostgreSQL would fail on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            problems = self._problems(request)
            if problems:
                return self._refuse(problems)
        elif self._unstorable(request):
            from .views import _error

            return _error(request, 400, "内容无法处理", "提交的内容或地址含有空字符等无法保存的字符,请删除后重试。", code="bad_request")
        return self.get_response(request)

    @staticmethod
    def _unstorable(request) -> bool:
        values = [v for _, vs in request.GET.lists() for v in vs]
        if request.method == "POST" and (request.content_type or "") in ("multipart/form-data", "application/x-www-form-urlencoded"):
            values += [v for _, vs in request.POST.lists() for v in vs]
        return any(UNSTORABLE.search(v) for v in values if isinstance(v, str))

    def _problems(self, request) -> list[dict]:
        import json

        if text_problem(request.path):
            return [{"field": "path", "message": f"地址{text_problem(request.path)}"}]
        problems = []
        for key, values in request.GET.lists():
            problems.extend(json_text_problems({key: values[0] if len(values) == 1 else values}))
        content_type = request.content_type or ""
        if content_type == "application/json" or content_type.endswith("+json"):
            if not _MAYBE_REFUSED_IN_JSON.search(request.body or b""):
                return problems  # the usual body: nothing that could decode to a refused character
            try:
                body = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                return problems  # not JSON: the API answers that itself
            problems.extend(json_text_problems(body))
        elif request.method in ("POST", "PUT", "PATCH") and content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            for key, values in request.POST.lists():
                problems.extend(json_text_problems({key: values[0] if len(values) == 1 else values}))
        return problems

    @staticmethod
    def _refuse(problems: list[dict]):
        from django.http import JsonResponse

        message = problems[0]["message"] if len(problems) == 1 else "提交的文字含有不可见的控制字符,请按字段提示修改"
        body = {"code": "invalid", "message": message, "errors": problems[:100]}
        return JsonResponse(body, status=422, json_dumps_params={"ensure_ascii": False})
