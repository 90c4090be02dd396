from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "wagewatch.registry"
    label = "registry"
    verbose_name = "企业与项目"
