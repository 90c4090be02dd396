"""The HTTP API at /api/v1/: one NinjaAPI, one router per app, one error shape.

Every error answers {"code": ..., "message": <Chinese>, "errors": [{"field": ..., "message": ...}]}.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import django_auth

from wagewatch.core.auth import BearerTokenAuth


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese as characters, not \\u escapes: readable in logs and by hand."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="根治欠薪智慧监管平台 API",
    version="1",
    description="接口认证:请求头 `Authorization: Bearer <令牌>`(令牌用 `python manage.py create_api_token 用户名` 生成),或已登录的浏览器会话。",
    auth=[BearerTokenAuth(), django_auth],
    urls_namespace="api",
)


def error_body(code: str, message: str, errors: list[dict] | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "payload")]
    return ".".join(parts)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    errors = [{"field": _field_name(e.get("loc", ())), "message": _chinese_pydantic(e)} for e in exc.errors]
    return api.create_response(request, error_body("invalid", "提交的数据不正确,请按字段提示修改", errors), status=422)


def _chinese_pydantic(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "必填"
    if kind.startswith("int"):
        return "应为整数"
    if kind.startswith("date"):
        return "日期格式应为 YYYY-MM-DD"
    if kind.startswith("decimal") or kind.startswith("float"):
        return "应为数字"
    if kind.startswith("string"):
        return "应为文本"
    return error.get("msg", "格式不正确")


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    message = errors[0]["message"] if len(errors) == 1 else "提交的数据不正确,请按字段提示修改"
    return api.create_response(request, error_body("invalid", message, errors), status=422)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, error_body("not_found", "未找到该记录,或您无权查看"), status=404)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return api.create_response(request, error_body("forbidden", str(exc) or "您的角色无权执行此操作"), status=403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, error_body("unauthenticated", "请先登录,或在请求头提供有效的接口令牌"), status=401)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.create_response(request, error_body(f"http_{exc.status_code}", str(exc)), status=exc.status_code)


def _register_routers() -> None:
    from wagewatch.cases.api import router as cases_router
    from wagewatch.core.api import router as core_router
    from wagewatch.core.api_calendar import router as calendar_router
    from wagewatch.history.api import router as history_router
    from wagewatch.intake.api import router as intake_router
    from wagewatch.payroll.api import router as payroll_router
    from wagewatch.registry.api import router as registry_router

    api.add_router("/", core_router)
    api.add_router("/", calendar_router)
    api.add_router("/history/", history_router)
    api.add_router("/", registry_router)
    api.add_router("/complaints", intake_router)
    api.add_router("/cases", cases_router)
    api.add_router("/payroll/", payroll_router)


_register_routers()
