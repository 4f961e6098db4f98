"""Readable labels of the state values of apps above core (demands, whistles, summonses, extensions).

Core's template filters show them, but those models live higher up: each app registers its state
choices from its AppConfig.ready() (`register_state_labels`), so core imports none of them.
"""

from __future__ import annotations

from django.db.models import TextChoices

_LABELS: dict[str, str] = {}


def register_state_labels(*choices: type[TextChoices]) -> None:
    """Add the labels of `choices`. A value registered earlier keeps its label: apps register in
    INSTALLED_APPS order, so a demand's "closed" reads as the demand's, not the whistle's."""
    for choice in choices:
        for value, label in choice.choices:
            _LABELS.setdefault(value, label)


def state_labels() -> dict[str, str]:
    return _LABELS
