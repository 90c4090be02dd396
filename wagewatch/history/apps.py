from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "wagewatch.history"
    label = "history"
    verbose_name = "防篡改历史"
