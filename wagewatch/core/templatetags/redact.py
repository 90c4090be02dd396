"""`{{ complaint.description|redact }}`: free text with its ID, phone and bank card numbers masked
like the protected fields (wagewatch.core.redact). A builtin (settings.TEMPLATES), so every
template has it. Masked for every role; the case page offers the recorded reveal of the kinds a
role may see (`{% if text|revealable_by:user %}`, core.services.free_text_reveal), like fields."""

from django import template

from wagewatch.core.redact import redact_text

register = template.Library()


@register.filter(is_safe=True)
def redact(value):
    if value is None or value == "":
        return value
    return redact_text(str(value))


@register.filter
def revealable_by(value, user) -> bool:
    """Whether `value` holds a personal number of a kind `user`'s role may reveal."""
    from wagewatch.core.protected import may_reveal
    from wagewatch.core.redact import kinds_in

    return any(may_reveal(user, kind) for kind in kinds_in(value))
