from django import template

from wagewatch.cases.labels import state_label_for

register = template.Library()


@register.filter
def state_for(case, user) -> str:
    """`{{ case|state_for:request.user }}`: the case's state in the viewer's words (待签收 for the
    unit that must sign, 已转办 for the office)."""
    return state_label_for(case, user)
