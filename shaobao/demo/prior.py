"""The demo district's duty list as routing's keyword prior (`--prior demo`), without a database.

Installed into `routing.training.NAMED_PRIORS` by DemoConfig.ready(): routing sits below demo.
"""

from __future__ import annotations

from shaobao.demo.fixtures.matters import DOMAINS, load_matters
from shaobao.routing.cold_start import KeywordClassifier, MatterText


def prior_from_demo() -> KeywordClassifier:
    names = dict(DOMAINS)
    return KeywordClassifier(
        MatterText(
            m.code, m.name, m.description, tuple(m.keyword_list), None, m.domain, names.get(m.domain, "")
        )
        for m in load_matters()
    )
