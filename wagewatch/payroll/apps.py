from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "wagewatch.payroll"
    label = "payroll"
    verbose_name = "工资支付监管"

    def ready(self):
        from wagewatch.history.labels import register_action_labels, register_payload_labels

        from . import (
            tasks_imports,  # noqa: F401  (registers the import task with Celery)
            tasks_obligations,  # noqa: F401  (the small-project upload chase)
        )
        from .services.confirmations import ACTION_LABELS as CONFIRMATION_LABELS
        from .services.confirmations import PAYLOAD_KEY_LABELS as CONFIRMATION_PAYLOAD_LABELS
        from .services.imports import ACTION_LABELS as IMPORT_LABELS
        from .services.roster import ACTION_LABELS as ROSTER_LABELS

        register_action_labels(IMPORT_LABELS)
        from .services.imports import PAYLOAD_KEY_LABELS as IMPORT_PAYLOAD_KEYS
        from .services.imports import PAYLOAD_VALUE_LABELS as IMPORT_PAYLOAD_VALUES

        register_payload_labels(IMPORT_PAYLOAD_KEYS, IMPORT_PAYLOAD_VALUES)
        register_action_labels(CONFIRMATION_LABELS)
        register_payload_labels(CONFIRMATION_PAYLOAD_LABELS)
        register_action_labels(ROSTER_LABELS)
        from .reconciliation import labels as reconciliation_labels

        register_action_labels(reconciliation_labels.ACTION_LABELS)
        register_payload_labels(reconciliation_labels.PAYLOAD_KEY_LABELS)
        from wagewatch.core.jobs import register_sweep

        from .reconciliation.jobs import reconciliation_jobs_sweep
        from .services.imports import import_jobs_sweep

        register_sweep("payroll.imports", import_jobs_sweep)
        register_sweep("payroll.reconciliation", reconciliation_jobs_sweep)
        from .models import FindingKind

        register_payload_labels(key_values={"findings_by_kind": dict(FindingKind.choices)})
