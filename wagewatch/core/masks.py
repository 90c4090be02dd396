"""How a personal number is shown when it is not revealed: one rule for the protected fields
(`protected.py`) and for numbers found in free text (`redact.py`). No Django imports, so the
logging filter can use it before the apps are loaded."""

from __future__ import annotations

ID_NUMBER = "id_number"
PHONE = "phone"
BANK_CARD = "bank_card"
KIND_LABELS = {ID_NUMBER: "身份证号", PHONE: "手机号", BANK_CARD: "银行卡号"}


def mask(kind: str, value: str | None) -> str:
    if not value:
        return ""
    if kind == ID_NUMBER:
        return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)
    if kind == PHONE:
        return value[:3] + "****" + value[-4:] if len(value) >= 11 else "*" * max(len(value) - 2, 0) + value[-2:]
    if kind == BANK_CARD:
        return "**** **** **** " + value[-4:] if len(value) > 4 else "****"
    return "****"
