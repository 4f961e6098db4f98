"""双报到: party organisations and members check in to communities and serve there."""

from django.apps import AppConfig


class CheckinConfig(AppConfig):
    name = "shaobao.checkin"
    label = "checkin"
    verbose_name = "Community check-in"

    def ready(self) -> None:
        from shaobao.checkin.grid_helpers import may_report
        from shaobao.intake import extensions
        from shaobao.intake.models import Channel

        # Intake (below) accepts a demand in the new-employment channel from a checked-in courier, rider or
        # driver with an account; this app says who that is.
        extensions.add_channel_reporter(Channel.NEW_EMPLOYMENT, may_report)
