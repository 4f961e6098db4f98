"""Training data and training runs shared by `train_router`, `eval_router` and the admin."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from shaobao.org.models import Division
from shaobao.routing import registry
from shaobao.routing.classifier import ClassifierConfig, TextClassifier
from shaobao.routing.cold_start import KeywordClassifier
from shaobao.routing.evaluation import read_csv
from shaobao.routing.text import join_text

# The configuration chosen by measurement on labeled_train.csv (docs/routing.md, "What we tried").
DEFAULT_CONFIG = ClassifierConfig()


def texts_from_db() -> tuple[list[str], list[str]]:
    """Closed demands with the matter people confirmed, and dispatchers' choices recorded at triage.

    Labels are matter codes; a demand counts once (its latest recorded choice wins over its matter).
    """
    from shaobao.intake.models import Demand, DemandState
    from shaobao.routing.models import ProposalRecord

    by_demand: dict[int, tuple[str, str]] = {}
    closed = (
        Demand.objects.filter(state__in=(DemandState.CLOSED, DemandState.CALLED_BACK), matter__isnull=False)
        .values_list("id", "subject", "body", "matter__code")
        .iterator(chunk_size=2000)
    )
    for pk, subject, body, code in closed:
        by_demand[pk] = (join_text(subject, body), code)
    records = (
        ProposalRecord.objects.filter(chosen_matter__isnull=False)
        .order_by("created_at")
        .values_list("demand_id", "text", "chosen_matter__code")
    )
    for demand_id, text, code in records.iterator(chunk_size=2000):
        if text:
            by_demand[demand_id] = (text, code)
    texts = [t for t, _ in by_demand.values()]
    labels = [c for _, c in by_demand.values()]
    return texts, labels


def unlabeled_from(paths: Sequence[str | Path], text_columns: Sequence[str]) -> list[str]:
    texts: list[str] = []
    for path in paths:
        texts += read_csv(path, text_columns=text_columns, label_column=None)[0]
    return texts


def prior_from_db(district_code: str | None = None) -> KeywordClassifier | None:
    """The keyword classifier of the duty list in force (of `district_code`, or of the only district that
    has one), or None."""
    from shaobao.duties.models import DutyList

    lists = DutyList.objects.filter(status="published")
    if district_code:
        lists = lists.filter(district__code=Division.full_code(district_code))
    districts = set(lists.values_list("district_id", flat=True)[:2])
    if len(districts) != 1:
        return None
    duty_list = lists.order_by("-version").first()
    return registry.cold_start_for(duty_list)


# Named keyword priors offered by apps above routing, installed from their AppConfig.ready() (the demo
# district's duty list: `demo.apps`), so that routing never imports them.
NAMED_PRIORS: dict[str, Callable[[], KeywordClassifier]] = {}


def register_prior(name: str, build: Callable[[], KeywordClassifier]) -> None:
    NAMED_PRIORS[name] = build


def prior_from_demo() -> KeywordClassifier:
    """The demo district's duty list (shaobao/demo/fixtures/matters.csv), without a database."""
    if "demo" not in NAMED_PRIORS:
        raise ValueError("演示区未安装 / the demo app (shaobao.demo) is not installed")
    return NAMED_PRIORS["demo"]()


def resolve_prior(kind: str, district_code: str | None = None) -> KeywordClassifier | None:
    """`auto`: the duty list in force if there is one; `db`: the same, required; `demo`; `none`."""
    if kind == "none":
        return None
    if kind == "demo":
        return prior_from_demo()
    prior = prior_from_db(district_code)
    if prior is None and kind == "db":
        raise ValueError("没有生效的权责清单 / no duty list in force (use --prior demo or none)")
    return prior


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    unlabeled: Sequence[str] = (),
    prior: KeywordClassifier | None = None,
    config: ClassifierConfig | None = None,
    progress=None,
) -> TextClassifier:
    if len(set(labels)) < 2:
        raise ValueError("至少需要两个类别 / need at least two labels to train")
    return TextClassifier(config or DEFAULT_CONFIG).fit(
        texts, labels, unlabeled=unlabeled, prior=prior, progress=progress
    )
