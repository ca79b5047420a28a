from django.apps import AppConfig


class PaysimConfig(AppConfig):
    """Only for the ``wuye paysim`` command: paysim has no models and no database."""

    name = "wuye.paysim"
    label = "paysim"
    verbose_name = "paysim"
