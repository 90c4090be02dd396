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
    return {"project": project, "warning": selectors.warning_current(project)}


@register.inclusion_tag("payroll/_enterprise_warnings.html", takes_context=True)
def payroll_enterprise_warnings(context, enterprise):
    user = context["request"].user
    return {"enterprise": enterprise, "warnings": list(selectors.warnings_for_enterprise(user=user, enterprise=enterprise))}
