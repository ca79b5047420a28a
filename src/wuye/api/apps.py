from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wuye.api"
    label = "api"
    verbose_name = "API"
