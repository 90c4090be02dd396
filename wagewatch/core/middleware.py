import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse


class SessionIdleTimeoutMiddleware:
    """Signs a user out after SESSION_IDLE_MINUTES without a request (shared office PCs).

    The time of the last request is kept in the session; it is rewritten at most once every
    TOUCH_SECONDS so that a busy page does not write the session on every request."""

    KEY = "last_seen"
    TOUCH_SECONDS = 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and session is not None and user.is_authenticated and session.session_key:
            now = int(time.time())
            last = session.get(self.KEY)
            idle_limit = settings.SESSION_IDLE_MINUTES * 60
            if last is not None and now - int(last) > idle_limit:
                return self._expired(request)
            if last is None or now - int(last) >= self.TOUCH_SECONDS:
                session[self.KEY] = now
        response = self.get_response(request)
        # A fresh sign-in starts the idle clock (the login request itself was anonymous above).
        # Bearer-token API calls carry no session sign-in and must not get a session.
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session and self.KEY not in session:
            session[self.KEY] = int(time.time())
        return response

    def _expired(self, request):
        logout(request)
        if request.path.startswith("/api/"):
            # The API answers 401 in its own error shape once the user is anonymous.
            return self.get_response(request)
        messages.info(request, f"您已{settings.SESSION_IDLE_MINUTES}分钟未操作,已自动退出,请重新登录")
        next_url = request.get_full_path() if request.method == "GET" else request.path
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(next_url).url
            return response
        return redirect_to_login(next_url)


class UnreadablePathMiddleware:
    """A page's path with a NUL in it names nothing: answer 400 before any view passes it to a
    query that PostgreSQL would refuse with an error. (Under /api/ core.text.ApiTextMiddleware
    refuses it, and every other control character, with a 422 on the field "path".)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path and not request.path.startswith("/api/"):
            from .views import bad_request

            return bad_request(request)
        return self.get_response(request)


class AccountStateMiddleware:
    """Ends a browser session whose account may no longer use the pages: locked by an administrator
    after it signed in, or an interface-only account (the data provider signs in with a token, never
    a session). Disabled accounts are already anonymous (ModelBackend refuses inactive users)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and SESSION_KEY in request.session:
            message = session_refusal(user)
            if message:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.error(request, message)
                    if getattr(request, "htmx", False):
                        response = HttpResponse(status=204)
                        response["HX-Redirect"] = redirect_to_login(request.path).url
                        return response
                    return redirect_to_login(request.get_full_path() if request.method == "GET" else request.path)
        return self.get_response(request)


def session_refusal(user) -> str:
    """Why `user` may not keep a page session (in Chinese), or ''."""
    from .models import Role
    from .services import user_is_locked

    if user.role == Role.DATA_PROVIDER:
        return "数据接口用户只能通过接口令牌调用接口,不能登录页面。"
    if user_is_locked(user):
        return "该账户已被系统管理员锁定,请联系系统管理员。"
    return ""


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
NO_STORE_PREFIXES = ("/w/", "/api/", "/admin/")


class SecurityHeadersMiddleware:
    """A Content Security Policy on every answer (no inline script or style anywhere: the pages
    load theirs from /static/), and `Cache-Control: no-store` on every answer that may show
    personal data: anything a signed-in user (session or token) gets, every worker page (/w/:
    a worker's own complaint and pay), the API and the admin. Static files are answered by
    WhiteNoise before this middleware and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith(NO_STORE_PREFIXES):
            response["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        return response
