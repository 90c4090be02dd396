"""`{{ complaint.description|redact }}`: free text with its ID, phone and bank card numbers masked
like the protected fields (wagewatch.core.redact). A builtin (settings.TEMPLATES), so every
template has it. Masked for every role: the text as typed stays stored, and the numbers that
matter to the case are in protected fields whose reveal is recorded."""

from django import template

from wagewatch.core.redact import redact_text

register = template.Library()


@register.filter(is_safe=True)
def redact(value):
    if value is None or value == "":
        return value
    return redact_text(str(value))
