from django.urls import NoReverseMatch, reverse

from .models import Role

OFFICE_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}


def navigation(request):
    """The menu a signed-in user sees, by role, and which entry the current page belongs to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("core:home", "首页")]
    if user.role in OFFICE_ROLES or user.role == Role.WINDOW_CLERK:
        items.append(("intake:register", "登记投诉"))
        items.append(("intake:import", "批量导入线索"))
    if user.role != Role.DATA_PROVIDER:
        items.append(("cases:list", "案件台账"))
    if user.organisation_id and user.role not in OFFICE_ROLES and user.role != Role.DATA_PROVIDER:
        items.append(("cases:inbox", "本单位待办"))
    if user.role in OFFICE_ROLES:
        items.append(("cases:overdue_board", "超期督办"))
    if user.role == Role.OFFICE_LEADER:
        items.append(("cases:approvals", "待我审批"))
    if user.role != Role.DATA_PROVIDER:
        items.append(("notify:list", "消息"))
    if user.role != Role.DATA_PROVIDER:
        items += [("registry:enterprise_list", "企业"), ("registry:project_list", "建设项目")]
        items.append(("payroll:project_list", "工资支付监管"))
        items += [("core:territory_list", "辖区"), ("core:organisation_list", "单位")]
    if user.role in OFFICE_ROLES or user.role == Role.UNIT_LEADER:
        items.append(("core:user_list", "用户"))
    if user.role in OFFICE_ROLES:
        items.append(("history:tree_heads", "防篡改历史"))
        items.append(("core:calendar", "工作日历"))
        items.append(("core:time_limits", "办理时限"))
    links = []
    for name, label in items:
        try:
            links.append((name, reverse(name), label))
        except NoReverseMatch:  # a page not installed in this deployment
            continue
    # The entry whose URL is the longest prefix of this page (a detail page lights its list).
    path = request.path
    matches = [url for _, url, _ in links if url == path or (url != "/" and path.startswith(url))]
    active = max(matches, key=len) if matches else None
    return {"nav_items": links, "nav_active": active, "is_administrator": user.role == Role.ADMINISTRATOR}
