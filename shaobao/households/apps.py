"""Grids, grid workers and households (网格、网格员、五户联防): issue 13, part 2."""

from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "shaobao.households"
    label = "households"
    verbose_name = "Grids and households"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from shaobao.households import reach
        from shaobao.platform import extensions

        # The platform (below) sends emergency broadcasts to streets and units; this app carries them on down to
        # grid workers and joint-defence groups when the sender asks for it, and links the broadcast's page to
        # the households board.
        extensions.add_sent_hook(
            reach.on_broadcast_sent,
            ("households", _("Also down to grid workers and joint-defence groups (households)")),
        )
        extensions.add_detail_link(reach.detail_link)
