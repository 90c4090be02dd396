from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "wagewatch.core"
    label = "core"
    verbose_name = "组织与人员"

    def ready(self):
        from wagewatch.history.labels import register_action_labels, register_payload_labels

        from .redact import install_log_record_factory

        install_log_record_factory()
        register_action_labels({"user.login_throttled": "登录受限(多次密码错误)", "api_token.revoked": "吊销接口令牌"})
        from .masks import KIND_LABELS
        from .models import CalendarSource

        register_payload_labels(
            key_values={"kind": KIND_LABELS, "via": {"admin": "管理后台"}, "source": dict(CalendarSource.choices)},
        )
        register_payload_labels(
            {"kinds": "号码类型", "limited_by": "限制范围", "wait_seconds": "等待秒数", "throttles_cleared": "解除的登录限制"},
            {"one_address": "同一来源地址", "all_addresses": "所有来源地址"},
        )
