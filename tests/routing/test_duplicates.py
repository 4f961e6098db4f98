"""Duplicates: reposts of the same problem are found; other problems, places, times and states are not."""

from __future__ import annotations

import csv
import random

from django.test import override_settings

from shaobao.routing.duplicates import find_duplicates
from tests.routing.conftest import DATA, make_demand, needs_data


def _find(world, demand, **kw):
    return find_duplicates(
        subject=demand.subject, body=demand.body, street=demand.street, exclude_id=demand.pk, **kw
    )


def test_a_repost_is_found_and_an_unrelated_demand_is_not(world):
    first = make_demand(
        world,
        subject="兴谷路小区门口垃圾堆积",
        body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。",
        days_ago=3,
    )
    make_demand(world, subject="工地夜间施工扰民", body="晚上十一点还在施工，噪音很大")
    again = make_demand(
        world, subject="兴谷路小区门口垃圾堆积！！", body="小区门口垃圾已经堆了一周了没人清运，臭味太大了。"
    )
    found = _find(world, again)
    assert [c.demand_id for c in found] == [first.pk]
    assert 0.5 < found[0].score <= 1.0


def test_other_street_closed_merged_and_old_demands_are_not_candidates(world):
    text = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")
    make_demand(world, street=world.street_b, **text)
    make_demand(world, state="closed", **text)
    make_demand(world, state="merged", **text)
    make_demand(world, days_ago=45, **text)
    assert _find(world, make_demand(world, **text)) == []


def test_the_window_is_configurable(world):
    text = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")
    old = make_demand(world, days_ago=45, **text)
    new = make_demand(world, **text)
    with override_settings(DUPLICATE_WINDOW_DAYS=60):
        assert [c.demand_id for c in _find(world, new)] == [old.pk]


def test_a_nearby_grid_in_another_street_counts(world):
    from tests.factories import GridFactory, square

    grid_b = GridFactory(code="G-B1-01", community=world.community_b1, geometry=square(117.11, 40.14))
    text = dict(subject="路口井盖丢失", body="路口的井盖丢了两天了，晚上很危险，请尽快补上")
    across = make_demand(world, street=world.street_b, grid=grid_b, **text)
    mine = make_demand(world, grid=world.grid_a1, **text)
    assert [c.demand_id for c in _find(world, mine, grid=world.grid_a1)] == [across.pk]


def test_empty_text_finds_nothing(world):
    make_demand(world, subject="", body="")
    assert find_duplicates(subject="", body="", street=world.street_a) == []


def _edit(text: str, rng: random.Random) -> str:
    """A repost: a few characters dropped, a phrase added, punctuation changed."""
    chars = list(text)
    for _ in range(max(1, len(chars) // 40)):
        del chars[rng.randrange(len(chars))]
    return "".join(chars).replace("，", ",") + rng.choice(["请尽快处理！", "希望有关部门重视。", "谢谢！"])


@needs_data
def test_real_reposts_are_found_among_real_messages(world):
    with open(DATA / "unlabeled.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if len(r["body"]) > 60][:260]
    rng = random.Random(7)
    stored = [
        make_demand(world, subject=r["subject"][:200], body=r["body"], days_ago=rng.randrange(1, 20))
        for r in rows
    ]
    hits = misses = false_alarms = 0
    for original, row in zip(stored[:30], rows[:30], strict=True):
        repost = make_demand(world, subject=_edit(row["subject"], rng)[:200], body=_edit(row["body"], rng))
        found = [c.demand_id for c in _find(world, repost)]
        hits += original.pk in found
        misses += original.pk not in found
        false_alarms += len([pk for pk in found if pk != original.pk])
        repost.delete()
    assert hits >= 29 and misses <= 1
    assert false_alarms <= 2
    # A fresh message about something else finds nothing among the 260.
    other = make_demand(
        world,
        subject="咨询新生儿落户需要哪些材料",
        body="孩子刚出生，想问一下在本区落户需要准备什么材料，去哪里办理。",
    )
    assert _find(world, other) == []


def test_fingerprint_similarity_equals_bigram_jaccard():
    """The stored integer fingerprint scores exactly like the bigram sets it replaces."""
    import numpy as np

    from shaobao.routing.duplicates import fingerprint, shingles, similarity

    texts = ["兴谷路小区门口垃圾堆积", "兴谷路小區門口垃圾堆積！！😀", "a", "", "噪音 " * 200, "ab ab ab"]
    for a in texts:
        for b in texts:
            fa, fb = fingerprint(a), fingerprint(b)
            assert len(fa) == len(shingles(a))
            common = len(np.intersect1d(fa, fb))
            jaccard = common / (len(fa) + len(fb) - common) if len(fa) and len(fb) else 0.0
            assert abs(jaccard - similarity(shingles(a), shingles(b))) < 1e-12


def _bands(demand):
    from shaobao.routing.models import DemandBand

    return DemandBand.objects.filter(demand_id=demand.pk)


def test_a_received_demand_is_filed_in_its_transaction(world):
    from shaobao.routing.duplicates import BANDS
    from shaobao.routing.models import DemandFingerprint

    d = make_demand(world, subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运。")
    fp = DemandFingerprint.objects.get(demand=d)
    assert fp.street_id == world.street_a.pk and fp.received_at == d.received_at and fp.size > 10
    assert set(_bands(d).values_list("street_id", flat=True)) == {world.street_a.pk}
    assert _bands(d).count() == BANDS


def test_a_transferred_demand_is_found_in_its_new_street_only(world):
    text = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")
    moved = make_demand(world, days_ago=2, **text)
    moved.street = world.street_b
    moved.save(update_fields=["street", "state"])  # as intake's transfer saves it
    assert set(_bands(moved).values_list("street_id", flat=True)) == {world.street_b.pk}
    assert _find(world, make_demand(world, **text)) == []
    there = make_demand(world, street=world.street_b, **text)
    assert [c.demand_id for c in _find(world, there)] == [moved.pk]


def test_a_state_change_does_not_refile_and_a_deleted_demand_leaves_no_bands(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    d = make_demand(world, subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运。")
    d.state = "whistled"
    with CaptureQueriesContext(connection) as ctx:
        d.save(update_fields=["state"])
    assert len(ctx.captured_queries) == 1
    pk = d.pk
    d.delete()
    from shaobao.routing.models import DemandBand, DemandFingerprint

    assert not DemandBand.objects.filter(demand_id=pk).exists()
    assert not DemandFingerprint.objects.filter(demand_id=pk).exists()


def test_the_backfill_files_demands_written_around_django(world):
    from django.core.management import call_command

    from shaobao.intake.models import Demand
    from shaobao.routing.models import DemandBand, DemandFingerprint

    text = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")
    first = make_demand(world, days_ago=2, **text)
    closed = make_demand(world, days_ago=2, state="closed", **text)
    # A bulk import (no signals) and a bulk move to another street (bands filed under the old one).
    imported = Demand.objects.bulk_create(
        [Demand(tracking_code="IMP00001", channel="hotline_12345", street=world.street_a, **text)]
    )[0]
    Demand.objects.filter(pk=first.pk).update(street=world.street_b)
    again = make_demand(world, **text)
    assert [c.demand_id for c in _find(world, again)] == []  # neither is filed where it is
    call_command("fingerprint_demands", verbosity=0)
    assert [c.demand_id for c in _find(world, again)] == [imported.pk]
    assert set(_bands(first).values_list("street_id", flat=True)) == {world.street_b.pk}
    assert DemandFingerprint.objects.count() == 4  # the closed one was filed when it was created
    call_command("fingerprint_demands", verbosity=0)  # nothing left to do: the same rows
    assert (
        DemandBand.objects.filter(demand_id__in=[first.pk, imported.pk, again.pk, closed.pk]).count()
        == 4 * 16
    )


def test_one_query_per_lookup(world, duty_list):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shaobao.duties.models import Matter

    text = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")
    first = make_demand(world, days_ago=2, grid=world.grid_a1, **text)
    again = make_demand(world, grid=world.grid_a1, **text)
    matter_ids = list(Matter.objects.filter(duty_list=duty_list).values_list("pk", flat=True)[:3])
    _find(world, again, grid=world.grid_a1, matter_ids=matter_ids)  # the matter groups, once per process
    with CaptureQueriesContext(connection) as ctx:
        found = _find(world, again, grid=world.grid_a1, matter_ids=matter_ids)
    assert [c.demand_id for c in found] == [first.pk] and found[0].same_place
    assert len(ctx.captured_queries) == 1


def test_in_a_mass_event_the_lookup_reads_the_newest_reposts_only(world, monkeypatch):
    """A township flooded with one problem's reposts: on PostgreSQL each band is read newest first down to
    BAND_DEPTH demands, and only the CANDIDATE_POOL sharing the most bands are joined (SQLite reads all)."""
    from django.db import connection

    from shaobao.routing import duplicates

    text = dict(subject="整栋楼停水", body="幸福里3号楼从早上开始停水，一直没有恢复，请尽快处理。")
    flood = [make_demand(world, days_ago=0.01 * (12 - i), **text) for i in range(12)]  # oldest first
    monkeypatch.setattr(duplicates, "BAND_DEPTH", 3)
    monkeypatch.setattr(duplicates, "CANDIDATE_POOL", 5)
    duplicates._lookup_sql.cache_clear()  # the statement holds the bounds
    try:
        found = [c.demand_id for c in _find(world, make_demand(world, **text), limit=20)]
    finally:
        duplicates._lookup_sql.cache_clear()
    newest_first = [d.pk for d in reversed(flood)]
    if connection.vendor == "postgresql":
        # Identical texts: every band's newest three are the same three, the new demand itself one of them.
        assert found == newest_first[:2]
    else:
        assert sorted(found) == sorted(newest_first)


def test_a_demand_without_a_street_is_filed_when_it_is_placed(world):
    from django.core.management import call_command

    from shaobao.intake.models import Demand
    from shaobao.routing.models import DemandFingerprint

    text = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")
    unplaced = Demand.objects.bulk_create(
        [Demand(tracking_code="IMP00002", channel="hotline_12345", **text)]
    )[0]
    call_command("fingerprint_demands", verbosity=0)  # a batch of demands without a street: no bands
    assert DemandFingerprint.objects.get(demand=unplaced).street_id is None and not _bands(unplaced).exists()
    unplaced.street = world.street_a
    unplaced.save(update_fields=["street"])  # as intake's placement correction saves it
    assert [c.demand_id for c in _find(world, make_demand(world, **text))] == [unplaced.pk]


def test_a_filing_failure_does_not_refuse_the_demand_and_the_backfill_repairs_it(world, monkeypatch):
    from django.core.management import call_command

    from shaobao.routing import duplicates
    from shaobao.routing.models import DemandFingerprint

    def broken(text):
        raise ValueError("broken")

    text = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")
    with monkeypatch.context() as m:
        m.setattr(duplicates, "fingerprint", broken)
        first = make_demand(world, days_ago=1, **text)
    assert first.pk and not DemandFingerprint.objects.filter(demand=first).exists()
    call_command("fingerprint_demands", verbosity=0)
    assert [c.demand_id for c in _find(world, make_demand(world, **text))] == [first.pk]


GARBAGE = dict(subject="兴谷路小区门口垃圾堆积", body="小区门口的垃圾已经堆了一个星期没人清运，臭味很大。")


def test_a_repost_with_a_100000_character_paste_is_found_both_ways(world):
    """Only the subject and the head of the body are compared (`BODY_HEAD`): a repost that pastes 100,000
    characters after the same complaint is judged exactly like its first `BODY_HEAD` characters, found, and
    filed with a bounded fingerprint."""
    from shaobao.routing.duplicates import BODY_HEAD
    from shaobao.routing.models import DemandFingerprint

    paste = "附件内容：" + "楼下垃圾站的味道一直很大" * 8_400
    assert len(paste) > 100_000
    first = make_demand(world, days_ago=2, **GARBAGE)
    subject, body = GARBAGE["subject"] + "！", GARBAGE["body"] + paste
    huge = make_demand(world, subject=subject, body=body)
    found = _find(world, huge)
    assert [c.demand_id for c in found] == [first.pk]
    head_only = find_duplicates(
        subject=subject, body=body[:BODY_HEAD], street=world.street_a, exclude_id=huge.pk
    )
    assert found == head_only
    assert DemandFingerprint.objects.get(demand=huge).size <= len(subject) + BODY_HEAD
    # The other way round: the huge demand is stored, a short repost of its head finds it.
    short = make_demand(world, subject="兴谷路小区门口垃圾堆积了", body=body[:BODY_HEAD])
    assert huge.pk in [c.demand_id for c in _find(world, short)]


def test_traditional_simplified_latin_and_emoji_find_the_same_repost(world):
    """A repost in traditional characters (or both scripts mixed, with Latin and emoji) finds the same
    demand with the same similarity as the same repost written in simplified characters."""
    first = make_demand(world, days_ago=2, **GARBAGE)
    for (subject, body), (simplified_subject, simplified_body) in [
        (
            ("興谷路小區門口垃圾堆積", "小區門口的垃圾已經堆了一個星期沒人清運，臭味很大。"),
            (GARBAGE["subject"], GARBAGE["body"]),
        ),
        (
            ("兴谷路小區门口垃圾堆積😡", "小区門口的垃圾已經堆了一个星期沒人清运，臭味很大!!! 🤢"),
            ("兴谷路小区门口垃圾堆积", "小区门口的垃圾已经堆了一个星期没人清运，臭味很大!!!"),
        ),
        (
            ("兴谷路 No.3 小區門口垃圾堆積", "Ｘｉｎｇｇｕ Rd：小區門口的垃圾已經堆了一個星期没人清運。"),
            ("兴谷路 no.3 小区门口垃圾堆积", "xinggu rd：小区门口的垃圾已经堆了一个星期没人清运。"),
        ),
    ]:
        found = find_duplicates(subject=subject, body=body, street=world.street_a)
        expected = find_duplicates(subject=simplified_subject, body=simplified_body, street=world.street_a)
        assert [c.demand_id for c in found] == [first.pk], subject
        assert found == expected
        assert found[0].text_similarity > 0.5
    # Stored in traditional characters, found by a simplified repost: both are filed normalised.
    first.delete()
    stored = make_demand(
        world, days_ago=1, subject="興谷路小區門口垃圾堆積", body="小區門口的垃圾已經堆了一個星期沒人清運。"
    )
    assert [c.demand_id for c in _find(world, make_demand(world, **GARBAGE))] == [stored.pk]


def test_emoji_only_demands_are_not_duplicates_of_each_other(world):
    """Nothing readable, nothing to compare: no bands are filed and nothing is proposed."""
    make_demand(world, subject="🙂🙂", body="😡😡😡")
    again = make_demand(world, subject="🙂🙂", body="😡😡😡")
    assert not _bands(again).exists()
    assert _find(world, again) == []
    assert find_duplicates(subject="  ", body="\u200b\ufe0f", street=world.street_a) == []
