from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "wagewatch.notify"
    label = "notify"
    verbose_name = "消息与短信"

    def ready(self):
        from wagewatch.cases.signals import case_transitioned

        from .receivers import case_transitioned_message_workers

        case_transitioned.connect(case_transitioned_message_workers, dispatch_uid="notify.case_transitioned_message_workers")
