from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wagewatch.cases"
    label = "cases"
    verbose_name = "案件办理"

    def ready(self):
        from wagewatch.core.signals import calendar_year_loaded
        from wagewatch.history.labels import register_action_labels, register_payload_labels

        from . import receivers
        from .labels import ACTION_LABELS, HIDDEN_PAYLOAD_KEYS, PAYLOAD_KEY_LABELS, payload_value_labels, value_labels

        register_action_labels(ACTION_LABELS)
        register_payload_labels(PAYLOAD_KEY_LABELS, value_labels(), key_values=payload_value_labels(), hidden=HIDDEN_PAYLOAD_KEYS)
        calendar_year_loaded.connect(receivers.recompute_deadlines_on_calendar_load, dispatch_uid="cases.recompute_deadlines")
