"""Payroll sections on the registry's pages, so the registry views need not know about payroll:

    {% load payroll_project_tags %}
    {% payroll_project_summary project %}      (registry project page: link and current warning)
    {% payroll_enterprise_warnings enterprise %} (registry enterprise page: warnings of its projects)
"""

from django import template

from wagewatch.payroll import selectors

register = template.Library()


@register.inclusion_tag("payroll/_registry_project.html")
def payroll_project_summary(project):
    from wagewatch.payroll.reconciliation.settlement import month_state

    warning = selectors.warning_current(project)
    if warning is not None:
        warning.month_state = month_state(project, warning.month)
    return {"project": project, "warning": warning}


@register.inclusion_tag("payroll/_enterprise_warnings.html", takes_context=True)
def payroll_enterprise_warnings(context, enterprise):
    from wagewatch.payroll.reconciliation.settlement import states_for

    user = context["request"].user
    warnings = list(selectors.warnings_for_enterprise(user=user, enterprise=enterprise))
    states = states_for((w.project_id, w.month) for w in warnings)
    for w in warnings:
        w.month_state = states.get((w.project_id, w.month))
    return {"enterprise": enterprise, "warnings": warnings}
