"""The HTTP API at /api/v1/: one NinjaAPI, one router per app, one error shape.

Every error answers {"code": ..., "message": <Chinese>, "errors": [{"field": ..., "message": ...}]},
documented in the OpenAPI as the `Error` schema on every status an operation can answer (see
`_document_errors`). A request the API cannot read (a body that is not UTF-8 JSON: 400; a NUL, a
control character or a lone surrogate anywhere: 422 from core.text.ApiTextMiddleware) is a 4xx in
that shape; an unexpected exception is logged and answers a 500 in that shape,
never a stack trace or an HTML page.
"""

import json
import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import django_auth

from wagewatch.core.auth import BearerTokenAuth

logger = logging.getLogger("wagewatch.api")


class UnreadableRequest(ValueError):
    """A request the API cannot read: a body that is not UTF-8 JSON (400), or (`field` set) a value
    that is not text (422 on that field). The message is Chinese."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def response(self, request):
        if self.field is None:
            return api.create_response(request, error_body("unreadable", self.message), status=400)
        errors = [{"field": self.field, "message": self.message}]
        return api.create_response(request, error_body("invalid", self.message, errors), status=422)


class StrictParser(Parser):
    """JSON bodies must be UTF-8 JSON, said in Chinese (400). Control characters, NUL and lone
    surrogates in a body, a query or a path are refused before, by core.text.ApiTextMiddleware (422)."""

    def parse_body(self, request):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableRequest("请求体不是有效的 UTF-8 编码") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UnreadableRequest(f"请求体不是有效的 JSON(第{getattr(exc, 'lineno', '?')}行第{getattr(exc, 'colno', '?')}列)") from None
        return data


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese as characters, not \\u escapes: readable in logs and by hand."""

    json_dumps_params = {"ensure_ascii": False}


# The one error shape, as the OpenAPI documents it (some errors add keys, e.g. an import's report).
ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "required": ["code", "message", "errors"],
    "properties": {
        "code": {"type": "string", "description": "机器可读的错误类别,如 invalid、not_found、forbidden"},
        "message": {"type": "string", "description": "给人看的中文说明"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
ERROR_DESCRIPTIONS = {
    "400": "请求无法读取(请求体不是 UTF-8 编码的 JSON,或地址含空字符)",
    "401": "未登录,或接口令牌无效",
    "403": "您的角色无权执行此操作",
    "404": "未找到该记录,或您无权查看",
    "422": "提交的数据不正确:errors 逐项说明",
    "500": "系统错误(已记录)",
}


def _document_errors(schema: dict) -> None:
    """Every status a client can get, in the one error shape: 401, 403 and 500 on every operation;
    404 and 422 where it takes parameters (an id, a filter naming an object) or a body; 400 where it
    reads a body or a path (unreadable JSON, a NUL). What a route declares itself is kept."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            params = operation.get("parameters", [])
            has_body = "requestBody" in operation
            codes = ["401", "403", "500"]
            if params or has_body:
                codes += ["404", "422"]
            if has_body or any(p.get("in") == "path" for p in params):
                codes.append("400")
            # ninja keys a route's own statuses by int; JSON has only string keys, and 422 next to
            # "422" came out as a duplicated key that Swagger UI refused to read.
            responses = {str(code): value for code, value in operation["responses"].items()}
            operation["responses"] = responses
            for code in codes:
                responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], "content": ref})
            # The web server in front of the platform (gunicorn, a proxy) refuses an over-long
            # address before any of this code runs: its own page, not the error shape.
            responses.setdefault("414", {"description": "请求地址过长(由网页服务器拒绝,不是接口的错误格式)"})


class WagewatchAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_errors(schema)
        return schema


api = WagewatchAPI(
    renderer=ChineseJSONRenderer(),
    title="根治欠薪智慧监管平台 API",
    version="1",
    description="接口认证:请求头 `Authorization: Bearer <令牌>`(令牌用 `python manage.py create_api_token 用户名` 生成),或已登录的浏览器会话。",
    auth=[BearerTokenAuth(), django_auth],
    urls_namespace="api",
    parser=StrictParser(),
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
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "必填"
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", "格式不正确")).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于{ctx.get('ge', ctx.get('gt'))}" if kind == "greater_than_equal" else f"应大于{ctx.get('gt')}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于{ctx.get('le')}" if kind == "less_than_equal" else f"应小于{ctx.get('lt')}"
    if kind == "decimal_max_places":
        return f"最多保留{ctx.get('decimal_places')}位小数"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return "数值过大,请核对"
    if kind == "finite_number":
        return "应为有限的数字"
    if kind in ("too_long", "string_too_long"):
        return f"过长(最多{ctx.get('max_length')}项)" if kind == "too_long" else f"过长(最多{ctx.get('max_length')}个字)"
    if kind == "date_from_datetime_parsing" or kind == "date_from_datetime_inexact":
        return "日期格式应为 YYYY-MM-DD"
    if kind.startswith("datetime"):
        return "时间格式应为 ISO 8601,如 2026-03-01T09:30:00+08:00"
    if kind.startswith("bool"):
        return "应为 true 或 false"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        return "应为列表" if kind == "list_type" else "应为对象"
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
    if isinstance(exc.__cause__, UnreadableRequest):
        # ninja wraps whatever the parser raises into "400 Cannot parse request body".
        return exc.__cause__.response(request)
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return api.create_response(request, error_body("unreadable", "请求体无法解析:应为 UTF-8 编码的 JSON"), status=400)
    return api.create_response(request, error_body(f"http_{exc.status_code}", str(exc)), status=exc.status_code)


@api.exception_handler(UnreadableRequest)
def on_unreadable(request, exc: UnreadableRequest):
    # Query and form values (the body comes wrapped in an HttpError, above).
    return exc.response(request)


SERVER_ERROR_MESSAGE = "系统出现错误,已记录。请稍后再试;如果一再出现,请联系系统管理员"


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    """Anything else: logged with its stack, answered in the one error shape without it."""
    logger.error("API %s %s 出错", request.method, request.path, exc_info=exc)
    return api.create_response(request, error_body("server_error", SERVER_ERROR_MESSAGE), status=500)


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
