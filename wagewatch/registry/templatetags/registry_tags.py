"""Display helpers for registry pages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def yuan(value, places: int = 2) -> str:
    """An amount with thousands separators, as offices write it (the zh-hans locale has no
    grouping, so intcomma prints 52000000)."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    return f"{amount:,.{int(places)}f}"
