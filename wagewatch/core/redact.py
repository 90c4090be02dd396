"""Personal numbers typed into free text, masked the way the protected fields are masked.

`redact_text(text)` finds, in any text people typed or a file carried (complaint descriptions,
case notes, an error quoting a CSV cell, a log line):

- resident ID numbers: 18 characters (the last may be X) whose digits 7–14 are a birth date,
  any 17 digits followed by X, and 15-digit legacy numbers whose digits 7–12 are a birth date;
- mobile phones: 1[3-9] and 9 more digits, written 3-4-4 with spaces or dashes or not at all,
  with an optional +86 / 0086 / 86 in front;
- landlines with their area code (010, 02x, 0xxx), a space, dash or brackets allowed after it;
- bank card numbers: any 16 to 19 digits in one run, or in groups of four split by spaces or
  dashes (the last group may be shorter).

and puts `masks.mask(kind, value)` (the protected fields' mask) in place of each, so "电话13812345678" reads "电话138****5678"
exactly as the phone field does.

Decisions (and why):
- A number must stand on its own: no ASCII letter or digit directly before or after it. That
  keeps hexadecimal digests, case numbers (AJ2026…), credit codes and file names intact; Chinese
  characters and punctuation around a number are boundaries, which is how such text is written.
- No Luhn check on bank cards. Cards that people mistype, and the older Chinese cards that do not
  carry a Luhn digit, are still a person's card; nothing legitimate in this platform's free text
  is 16–19 digits long (amounts are at most 14 digits before the decimal point, dates and times
  are split by separators). A channel's work-order number made of 16+ bare digits is masked too
  in what is shown; it is kept as typed on its own field.
- Amounts never match: a number followed by a decimal point and digits, or preceded by one, is
  an amount (12000000, 13800000000.00 are left alone).
- The text as typed is stored unchanged (the office may need the number; it is usually the
  complainant's own, also kept in a protected field with a recorded reveal). Everything that
  shows, exports, logs, records in the history or reports a job's error goes through this.
- Idempotent: a masked text has no run of digits long enough to match again.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import models

from .masks import BANK_CARD, ID_NUMBER, PHONE, mask

# Not a letter or digit (ASCII) right before; not a decimal amount either.
_START = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
_END = r"(?![0-9A-Za-z])(?!\.[0-9])"
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"

_PATTERN = re.compile(
    r"(?=[0-9+(])"  # most positions are not the start of a number: fail there at once
    + _START
    + "(?:"
    + rf"(?P<id18>[1-9]\d{{5}}{_DATE8}\d{{3}}[\dXx]|\d{{17}}[Xx])"
    + r"|(?P<card>\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?)"
    + rf"|(?P<id15>[1-9]\d{{5}}{_DATE6}\d{{3}})"
    + r"|(?:(?:\+|00)?86[ -]?)?(?P<mobile>1[3-9]\d(?:[ -]?\d{4}){2})"
    + r"|(?P<landline>\(?0(?:10|2\d|[3-9]\d{2})\)?[ -]?[2-9]\d{6,7})"
    + ")"
    + _END
)


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text).upper()


_KIND_OF_GROUP = {"id18": ID_NUMBER, "id15": ID_NUMBER, "card": BANK_CARD, "mobile": PHONE, "landline": PHONE}


def _replace(match: re.Match) -> str:
    return mask(_KIND_OF_GROUP[match.lastgroup], _digits(match.group(match.lastgroup)))


def redact_text(text: Any, *, keep: frozenset[str] | set[str] = frozenset()) -> Any:
    """`text` with every ID, phone and bank card number in it masked; anything that is not a
    string (None, numbers) is returned as it is. Kinds in `keep` (protected.ID_NUMBER, PHONE,
    BANK_CARD) stay clear: a recorded reveal shows what the role may see of each kind."""
    if not isinstance(text, str) or len(text) < 7:
        return text
    if not keep:
        return _PATTERN.sub(_replace, text)
    return _PATTERN.sub(lambda m: m.group(0) if _KIND_OF_GROUP[m.lastgroup] in keep else _replace(m), text)


def kinds_in(text: Any) -> set[str]:
    """The kinds of personal number found in `text`."""
    if not isinstance(text, str) or len(text) < 7:
        return set()
    return {_KIND_OF_GROUP[m.lastgroup] for m in _PATTERN.finditer(text)}


def redact_data(data: Any) -> Any:
    """The same for every string inside JSON-like data (dict values, list items); keys and
    numbers are left alone: a payload's keys are names the code chose, and its integers are
    counts and ids."""
    if isinstance(data, str):
        return redact_text(data)
    if isinstance(data, dict):
        return {key: redact_data(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(value) for value in data]
    return data


def contains_personal_number(text: str) -> bool:
    return isinstance(text, str) and _PATTERN.search(text) is not None


# ---------------------------------------------------------------- logging


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the message, its arguments and any traceback of one log record in place."""
    if getattr(record, "_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: let the handler report it as it would
        return record
    record.msg = redact_text(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    record._redacted = True
    return record


class RedactFilter(logging.Filter):
    """On every handler in settings.LOGGING: no log line carries a clear personal number."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_log_record_factory() -> None:
    """Mask every record when it is made, whoever handles it afterwards (handlers that Celery,
    pytest or a library add outside settings.LOGGING). Installed once from CoreConfig.ready()."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_wagewatch_redacting", False):
        return

    def factory(*args, **kwargs):
        return redact_record(current(*args, **kwargs))

    factory._wagewatch_redacting = True
    logging.setLogRecordFactory(factory)


# ---------------------------------------------------------------- stored texts that must never hold a clear number


class _RedactingField:
    """Mixin: the value is masked when saved (`save()`, in memory too) and when written by
    `QuerySet.update()`. For texts that are made from what a file or a person carried but are
    no one's record of it: job errors, rejected-row reports, delivery errors.

    Deconstructs as the plain Django field: masking changes no column, so no migration."""

    def pre_save(self, model_instance, add):
        value = redact_data(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        return super().get_prep_value(redact_data(value))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, self._plain_path, args, kwargs


class RedactedTextField(_RedactingField, models.TextField):
    _plain_path = "django.db.models.TextField"


class RedactedJSONField(_RedactingField, models.JSONField):
    _plain_path = "django.db.models.JSONField"
