from django.urls import NoReverseMatch, reverse

from .models import Role

OFFICE_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}


def navigation(request):
    """The menu a signed-in user sees, by role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("core:home", "首页")]
    if user.role != Role.DATA_PROVIDER:
        items += [("registry:enterprise_list", "企业"), ("registry:project_list", "建设项目")]
        items += [("core:territory_list", "辖区"), ("core:organisation_list", "单位")]
    if user.role in OFFICE_ROLES or user.role == Role.UNIT_LEADER:
        items.append(("core:user_list", "用户"))
    if user.role in OFFICE_ROLES:
        items.append(("core:calendar", "工作日历"))
        items.append(("core:time_limits", "办理时限"))
    links = []
    for name, label in items:
        try:
            links.append((name, reverse(name), label))
        except NoReverseMatch:  # a page not installed in this deployment
            continue
    return {"nav_items": links, "is_administrator": user.role == Role.ADMINISTRATOR}
