from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "wagewatch.registry"
    label = "registry"
    verbose_name = "企业与项目"

    def ready(self):
        from wagewatch.history.labels import register_action_labels, register_payload_labels

        from .models import ProjectParticipant

        register_action_labels(
            {
                "enterprise.imported": "批量导入企业",
                "enterprise.import_rejected": "企业导入被退回",
                "project.imported": "批量导入建设项目",
                "project.import_rejected": "建设项目导入被退回",
            }
        )
        # A participant's role on a project event (the project has no role field of its own).
        register_payload_labels(key_values={"role": dict(ProjectParticipant.Role.choices)})
