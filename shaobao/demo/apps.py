"""Demo district."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "shaobao.demo"
    label = "demo"
    verbose_name = "Demo district"

    def ready(self) -> None:
        from shaobao.demo.prior import prior_from_demo
        from shaobao.routing.training import register_prior

        register_prior("demo", prior_from_demo)
