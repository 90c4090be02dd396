"""Production settings: the defaults plus the hardening `manage.py check --deploy` asks for.

Secrets must come from the environment (or *_FILE); nothing is generated.
"""

import os

os.environ.setdefault("WAGEWATCH_REQUIRE_SECRETS", "1")

from wagewatch.settings import *  # noqa: E402,F403
from wagewatch.settings import env, env_bool  # noqa: E402

if not env("DATABASE_URL"):
    raise RuntimeError("生产环境必须设置 DATABASE_URL(或 DATABASE_URL_FILE),指向 PostgreSQL")

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS") or 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
WHITENOISE_USE_FINDERS = False

# Verification codes must never end up in logs: production sends SMS through the gateway unless
# another real backend is named, and refuses the console/memory backends.
SMS_BACKEND = env("SMS_BACKEND") or "wagewatch.notify.sms.HttpGatewayBackend"
if SMS_BACKEND.rsplit(".", 1)[-1] in {"ConsoleBackend", "MemoryBackend"}:
    raise RuntimeError("生产环境不能使用控制台或内存短信通道(验证码会写入日志),请配置 SMS_GATEWAY_URL")
