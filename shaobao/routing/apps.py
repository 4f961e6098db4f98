"""Smart routing."""

from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "shaobao.routing"
    label = "routing"
    verbose_name = "Smart routing"

    def ready(self) -> None:
        # Duplicate detection's fingerprint and LSH bands are derived from the demand row: kept in step
        # with it on every save, in the saving transaction (intake's code does not need to know).
        from django.db.models.signals import post_save, pre_delete

        from shaobao.intake import extensions
        from shaobao.intake.models import Demand
        from shaobao.routing import duplicates, services

        # Intake (below routing) shows the proposal on the demand page and reports the street's triage.
        extensions.set_proposer(services.propose_for_demand)
        extensions.add_outcome_recorder(services.record_outcome)
        post_save.connect(duplicates.on_demand_saved, sender=Demand, dispatch_uid="routing-fingerprint")
        pre_delete.connect(duplicates.on_demand_deleted, sender=Demand, dispatch_uid="routing-forget")
