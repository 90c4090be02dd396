from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "wagewatch.intake"
    label = "intake"
    verbose_name = "投诉受理"

    def ready(self):
        from wagewatch.history.labels import register_action_labels

        from .importers import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
