"""Core pages: sign-in, home, territories, organisations, users, password change, errors.

Views are thin: they read filters from the query string, call the scoped selectors in
`selectors.py` (and the registry's for enterprise and project figures) and render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from wagewatch.history.selectors import timeline_for

from . import selectors
from .export import xlsx_response
from .forms import UserPasswordChangeForm
from .login_throttle import account_wait_seconds
from .models import Organisation, Role, Territory
from .passwords import password_rules
from .protected import PHONE, mask, may_reveal
from .scoping import scope_for
from .services import personal_data_reveal, user_is_locked, user_unlock

PAGE_SIZE = 50
OFFICE_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
UNIT_ROLES = {Role.UNIT_HANDLER, Role.UNIT_LEADER}


def url_or_none(name: str, *args) -> str | None:
    """The URL of a page that another app may or may not provide yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """A page of `queryset` and the query string (without `page`) for the pager links."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return page, params.urlencode()


def wants_export(request) -> bool:
    return request.GET.get("export") == "xlsx"


def _registry():
    from wagewatch.registry import selectors as registry_selectors

    return registry_selectors


def _with_urls(objects, url_name: str) -> list[tuple]:
    """(object, its detail URL or None) for objects whose pages live in another app."""
    return [(obj, url_or_none(url_name, obj.pk)) for obj in objects]


# ---------------------------------------------------------------------------- sign-in


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def get_form_class(self):
        from .forms import ThrottledAuthenticationForm

        return ThrottledAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            free_failures=settings.LOGIN_FREE_FAILURES,
            idle_minutes=settings.SESSION_IDLE_MINUTES,
        )
        return context


@login_required
def password_change(request):
    form = UserPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改。下次登录请使用新密码。")
        return redirect("core:home")
    rules = password_rules()
    return render(request, "core/password_change.html", {"form": form, "password_rules": rules})


# ---------------------------------------------------------------------------- home


@login_required
def home(request):
    user = request.user
    role = user.role
    context = {"role": role, "scope_territory": None, "stats": [], "shortcuts": [], "projects": None, "events": None}
    scope = scope_for(user)
    territory = user.effective_territory
    if scope.territory_prefix is not None and territory is not None:
        context["scope_territory"] = territory

    if role == Role.DATA_PROVIDER:
        context["api_docs"] = reverse("api:openapi-view")
        return render(request, "core/home.html", context)

    registry = _registry()
    enterprises = registry.enterprise_list(user=user).order_by().aggregate(
        total=Count("pk"), missing=Count("pk", filter=Q(credit_code_missing=True))
    )
    projects = registry.project_list(user=user).order_by().aggregate(
        total=Count("pk"), full=Count("pk", filter=Q(under_full_supervision=True))
    )
    stats = [
        {
            "label": "企业",
            "num": enterprises["total"],
            "note": f"其中缺少信用代码 {enterprises['missing']} 家" if enterprises["missing"] else "信用代码均已登记",
            "url": url_or_none("registry:enterprise_list"),
            "warn": bool(enterprises["missing"]),
        },
        {
            "label": "建设项目",
            "num": projects["total"],
            "note": f"其中纳入全面监管 {projects['full']} 个",
            "url": url_or_none("registry:project_list"),
        },
        {
            "label": "辖区",
            "num": selectors.territory_list(user=user).count(),
            "url": reverse("core:territory_list"),
        },
        {
            "label": "单位",
            "num": selectors.organisation_list(user=user).count(),
            "url": reverse("core:organisation_list"),
        },
    ]
    if selectors.may_see_users_of_others(user):
        counts = selectors.user_list(user=user).order_by().aggregate(
            total=Count("pk"), locked=Count("pk", filter=Q(locked_until__gt=timezone.now()))
        )
        stats.append(
            {
                "label": "用户",
                "num": counts["total"],
                "note": f"其中已锁定 {counts['locked']} 个" if counts["locked"] else "",
                "url": reverse("core:user_list"),
                "warn": bool(counts["locked"]),
            }
        )
    if role in UNIT_ROLES and user.organisation_id:
        from wagewatch.cases.models import CaseState
        from wagewatch.cases.selectors import unit_inbox

        to_sign = unit_inbox(user).filter(state=CaseState.DISPATCHED, lead_organisation_id=user.organisation_id).count()
        stats.insert(
            0,
            {
                "label": "待签收",
                "num": to_sign,
                "note": "转办本单位牵头、尚未签收的案件" if to_sign else "没有待签收的案件",
                "url": url_or_none("cases:inbox"),
                "warn": bool(to_sign),
            },
        )
    if role == Role.OFFICE_LEADER:
        from wagewatch.cases.selectors import approvals_awaiting

        waiting = approvals_awaiting(user).count()
        stats.insert(
            0,
            {
                "label": "待我审批",
                "num": waiting,
                "note": "应急周转金垫付申请" if waiting else "暂无待审批事项",
                "url": url_or_none("cases:approvals"),
                "warn": bool(waiting),
            },
        )
    context["stats"] = stats

    if role == Role.WINDOW_CLERK:
        shortcuts = [
            ("登记企业", url_or_none("registry:enterprise_create")),
            ("查询企业", url_or_none("registry:enterprise_list")),
            ("查询建设项目", url_or_none("registry:project_list")),
        ]
        context["shortcuts"] = [(label, url) for label, url in shortcuts if url]
    if role in UNIT_ROLES or role in {Role.PROJECT_LABOUR_MANAGER, Role.GRID_WORKER}:
        # A unit sees its own items first: the projects it supervises, owns, builds or hosts.
        context["projects"] = _with_urls(registry.project_list(user=user)[:10], "registry:project_detail")
        context["project_count"] = projects["total"]
    if role in OFFICE_ROLES:
        from wagewatch.history.models import Event, events_name

        context["events"] = events_name(Event.objects.order_by("-seq")[:10])
        context["history_url"] = url_or_none("history:event_list")
    return render(request, "core/home.html", context)


# ---------------------------------------------------------------------------- territories


@login_required
def territory_list(request):
    search = request.GET.get("q", "").strip()
    level = request.GET.get("level", "")
    if level not in Territory.Level.values:
        level = ""
    qs = selectors.territory_list(user=request.user, search=search, level=level).annotate(
        child_count=Count("children", distinct=True), organisation_count=Count("organisations", distinct=True)
    )
    if wants_export(request):
        return xlsx_response(
            filename="辖区",
            sheet="辖区",
            headers=["编码", "名称", "层级", "上级", "下级数", "单位数"],
            rows=(
                (t.code, t.name, t.get_level_display(), t.parent.name if t.parent else "", t.child_count, t.organisation_count)
                for t in qs
            ),
        )
    page, query = paginate(request, qs)
    base_depth = None
    rows = []
    for t in page:
        depth = t.path.count("/")
        base_depth = depth if base_depth is None else min(base_depth, depth)
        rows.append((t, depth))
    tree = not search and not level
    rows = [(t, min(depth - (base_depth or 0), 4) if tree else 0) for t, depth in rows]
    return render(
        request,
        "core/territory_list.html",
        {"page": page, "rows": rows, "query": query, "search": search, "level": level, "levels": Territory.Level.choices},
    )


@login_required
def territory_detail(request, pk: int):
    user = request.user
    territory = selectors.territory_get(user=user, pk=pk)
    registry = _registry()
    enterprises = registry.enterprise_list(user=user, territory=territory).order_by().aggregate(
        total=Count("pk"), missing=Count("pk", filter=Q(credit_code_missing=True))
    )
    projects = registry.project_list(user=user, territory=territory).order_by().aggregate(
        total=Count("pk"), full=Count("pk", filter=Q(under_full_supervision=True))
    )
    ancestors = []
    parent_codes = territory.path.strip("/").split("/")[:-1]
    if parent_codes:
        by_code = {t.code: t for t in Territory.objects.filter(code__in=parent_codes)}
        visible = set(selectors.territory_list(user=user).filter(code__in=parent_codes).values_list("pk", flat=True))
        ancestors = [(by_code[c], by_code[c].pk in visible) for c in parent_codes if c in by_code]
    return render(
        request,
        "core/territory_detail.html",
        {
            "territory": territory,
            "ancestors": ancestors,
            "children": selectors.territory_children(user=user, territory=territory),
            "organisations": selectors.organisation_list(user=user).filter(territory=territory),
            "enterprises": enterprises,
            "projects": projects,
            "enterprise_list_url": url_or_none("registry:enterprise_list"),
            "project_list_url": url_or_none("registry:project_list"),
            "events": timeline_for(territory),
        },
    )


# ---------------------------------------------------------------------------- organisations


@login_required
def organisation_list(request):
    user = request.user
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if kind not in Organisation.Kind.values:
        kind = ""
    territories = selectors.territory_list(user=user)
    territory = None
    if request.GET.get("territory", "").isdigit():
        territory = territories.filter(pk=request.GET["territory"]).first()
    qs = selectors.organisation_list(user=user, search=search, kind=kind, territory=territory).annotate(
        user_count=Count("users", distinct=True)
    )
    if wants_export(request):
        return xlsx_response(
            filename="单位",
            sheet="单位",
            headers=["名称", "简称", "类型", "主管行业", "所在辖区", "负责领导", "办公电话", "启用"],
            rows=(
                (
                    o.name,
                    o.short_name,
                    o.get_kind_display(),
                    o.get_industry_display() if o.industry else "",
                    o.territory.name,
                    o.leader_name,
                    mask(PHONE, o.phone),
                    o.is_active,
                )
                for o in qs
            ),
        )
    page, query = paginate(request, qs)
    return render(
        request,
        "core/organisation_list.html",
        {
            "page": page,
            "query": query,
            "search": search,
            "kind": kind,
            "kinds": Organisation.Kind.choices,
            "territory": territory,
            "territories": territories,
            "show_user_count": selectors.may_see_users_of_others(user),
        },
    )


@login_required
def organisation_detail(request, pk: int):
    user = request.user
    organisation = selectors.organisation_get(user=user, pk=pk)
    users = None
    if selectors.may_see_users_of_others(user):
        users = list(selectors.user_list(user=user, organisation=organisation))
    supervised = _registry().project_list(user=user).filter(
        Q(industry_authority=organisation) | Q(owner_organisation=organisation)
    )
    return render(
        request,
        "core/organisation_detail.html",
        {
            "organisation": organisation,
            "phone_masked": mask(PHONE, organisation.phone),
            "may_reveal_phone": bool(organisation.phone) and may_reveal(user, PHONE),
            "territory_visible": selectors.territory_list(user=user).filter(pk=organisation.territory_id).exists(),
            "users": users,
            "projects": _with_urls(supervised[:50], "registry:project_detail"),
            "project_count": supervised.count(),
            "events": timeline_for(organisation),
        },
    )


# ---------------------------------------------------------------------------- users


@login_required
def user_list(request):
    user = request.user
    search = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    if role not in Role.values:
        role = ""
    organisations = selectors.organisation_list(user=user)
    organisation = None
    if request.GET.get("organisation", "").isdigit():
        organisation = organisations.filter(pk=request.GET["organisation"]).first()
    locked = {"1": True, "0": False}.get(request.GET.get("locked", ""))
    qs = selectors.user_list(user=user, search=search, role=role, organisation=organisation, locked=locked)
    if wants_export(request):
        return xlsx_response(
            filename="用户",
            sheet="用户",
            headers=["用户名", "姓名", "角色", "所属单位", "负责辖区", "手机号", "最近登录", "锁定至", "启用"],
            rows=(
                (
                    u.username,
                    u.full_name,
                    u.get_role_display(),
                    str(u.organisation or ""),
                    u.territory.name if u.territory else "",
                    mask(PHONE, u.phone),
                    u.last_login,
                    u.locked_until if user_is_locked(u) else None,
                    u.is_active,
                )
                for u in qs
            ),
        )
    page, query = paginate(request, qs)
    now = timezone.now()
    rows = [(u, bool(u.locked_until and u.locked_until > now)) for u in page]
    return render(
        request,
        "core/user_list.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "search": search,
            "role": role,
            "roles": Role.choices,
            "organisation": organisation,
            "organisations": organisations if selectors.may_see_users_of_others(user) else None,
            "locked": request.GET.get("locked", ""),
        },
    )


@login_required
def user_detail(request, pk: int):
    viewer = request.user
    target = selectors.user_get(user=viewer, pk=pk)
    return render(
        request,
        "core/user_detail.html",
        {
            "target": target,
            "phone_masked": mask(PHONE, target.phone),
            "may_reveal_phone": bool(target.phone) and may_reveal(viewer, PHONE),
            "locked": user_is_locked(target),
            "throttle_minutes": -(-account_wait_seconds(target.username) // 60),
            "may_unlock": selectors.may_unlock(viewer),
            "organisation_visible": bool(
                target.organisation_id and selectors.organisation_list(user=viewer).filter(pk=target.organisation_id).exists()
            ),
            "is_self": viewer.pk == target.pk,
            "events": timeline_for(target),
        },
    )


@login_required
@require_POST
def user_unlock_view(request, pk: int):
    target = selectors.user_get(user=request.user, pk=pk)
    if not selectors.may_unlock(request.user):
        raise PermissionDenied("只有系统管理员或清欠办领导可以解锁账户")
    user_unlock(actor=request.user, user=target)
    messages.success(request, f"已解锁用户 {target}")
    return redirect("core:user_detail", pk=target.pk)


# ---------------------------------------------------------------------------- errors


def bad_request(request, exception=None):
    return _error(request, 400, "请求无效", "请求无法处理:请检查地址和提交的内容。", code="bad_request")


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else "您的角色无权执行此操作。"
    return _error(request, 403, "无权访问", message, code="forbidden")


def not_found(request, exception=None):
    return _error(request, 404, "未找到", "未找到该页面或记录,或您无权查看。", code="not_found")


def server_error(request):
    return _error(request, 500, "系统错误", "系统出现错误,已记录。请稍后再试。", code="server_error")


def _error(request, status: int, title: str, message: str, *, code: str = ""):
    if request.path.startswith("/api/"):
        # The API answers in its one JSON error shape, also for what Django handles before (or
        # after) the API: a path no route matches, a failing middleware.
        from django.http import JsonResponse

        from wagewatch.api import error_body

        return JsonResponse(error_body(code or f"http_{status}", message.rstrip("。")), status=status, json_dumps_params={"ensure_ascii": False})
    try:
        return render(request, "errors.html", {"title": title, "message": message, "status": status}, status=status)
    except Exception:  # the error page must not fail in turn (e.g. the database is down)
        body = f"<!DOCTYPE html><meta charset='utf-8'><title>{title}</title><h1>{title}</h1><p>{message}</p>"
        return HttpResponse(body, status=status)



def csrf_failure(request, reason=""):
    """A form sent from a page that expired (or from another site): say what to do, in Chinese.
    The worker's pages get their own plain page."""
    message = "页面已过期或来源不正确,提交没有保存。请返回上一页,刷新后重新填写提交。"
    if request.path.startswith("/w/"):
        # Plain and self-contained, styled only from /static/ (the Content Security Policy allows no inline style).
        css = static("wagewatch/worker.css")
        body = (
            "<!DOCTYPE html><html lang='zh-hans'><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>页面已过期</title><link rel='stylesheet' href='{css}'><body><main class='w-main'>"
            f"<h1>页面已过期</h1><p>{message}</p>"
            "<p><a class='w-button primary' href='/w/'>返回首页</a></p></main></body></html>"
        )
        return HttpResponse(body, status=403)
    return _error(request, 403, "页面已过期", message)


# ---------------------------------------------------------------------------- staff phones


def _revealed(value: str) -> HttpResponse:
    return HttpResponse(format_html('<span class="masked">{}</span>', value), headers={"Cache-Control": "no-store"})


@login_required
@require_POST
def organisation_phone_reveal(request, pk: int):
    """The full office phone, for a role that may see phones; recorded like every reveal."""
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    return _revealed(personal_data_reveal(actor=request.user, obj=organisation, field_name="phone"))


@login_required
@require_POST
def user_phone_reveal(request, pk: int):
    target = selectors.user_get(user=request.user, pk=pk)
    return _revealed(personal_data_reveal(actor=request.user, obj=target, field_name="phone"))
