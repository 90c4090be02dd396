from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "wagewatch.intake"
    label = "intake"
    verbose_name = "投诉受理"

    def ready(self):
        from wagewatch.history.labels import register_action_labels, register_payload_labels

        from .importers import ACTION_LABELS
        from .models import Complaint, Evidence

        register_action_labels(ACTION_LABELS)
        register_payload_labels(
            {"evidence": "材料"},
            key_values={
                "purpose": dict(Evidence.Purpose.choices),
                "relation": dict(Complaint.Relation.choices),
                "type": {
                    "image/jpeg": "JPEG图片",
                    "image/png": "PNG图片",
                    "image/webp": "WebP图片",
                    "image/heic": "HEIC图片",
                    "image/heif": "HEIF图片",
                    "application/pdf": "PDF文件",
                },
            },
            refs={"evidence": "intake.evidence"},
        )
