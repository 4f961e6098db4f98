"""Place from text: street and community names and their common aliases."""

from __future__ import annotations

import pytest

from shaobao.routing.places import guess_place
from shaobao.routing.text import MAX_CHARS
from tests.factories import DivisionFactory


@pytest.fixture
def towns(world):
    """Two more townships with villages, named like the real Pinggu ones."""
    yuyang = DivisionFactory(code="110117003000", name="渔阳地区", level="street", parent=world.district)
    mafang = DivisionFactory(code="110117005000", name="马坊地区", level="street", parent=world.district)
    hanzhuang = DivisionFactory(code="110117003001", name="韩庄村", level="community", parent=yuyang)
    dongzhuang = DivisionFactory(code="110117005001", name="东店村", level="community", parent=mafang)
    # The same bare name in two townships: only the full forms may name them.
    DivisionFactory(code="110117003002", name="北店村", level="community", parent=yuyang)
    DivisionFactory(code="110117005002", name="北店社区", level="community", parent=mafang)
    return {"yuyang": yuyang, "mafang": mafang, "hanzhuang": hanzhuang, "dongzhuang": dongzhuang}


def test_full_street_and_community_names_are_recognised(world):
    guess = guess_place(world.district, "滨河街道承平里社区3号楼")
    assert guess.street_id == world.street_a.pk
    assert guess.community_id == world.community_a1.pk
    assert guess.street_words == ["滨河街道"]
    assert guess.community_words == ["承平里社区"]


@pytest.mark.parametrize("address", ["渔阳镇韩庄村东口", "渔阳乡韩庄", "渔阳地区韩庄村委会", "韩庄村"])
def test_aliases_of_townships_and_villages(world, towns, address):
    guess = guess_place(world.district, address)
    assert guess.street_id == towns["yuyang"].pk
    assert guess.community_id == towns["hanzhuang"].pk


def test_a_community_alone_proposes_its_street(world):
    guess = guess_place(world.district, "", "我住在承平里，楼下有人私搭乱建")
    assert guess.street_id == world.street_a.pk
    assert guess.community_words == ["承平里"]


def test_ambiguous_bare_name_is_not_guessed(world, towns):
    assert not guess_place(world.district, "北店那边有人摆摊").found
    assert guess_place(world.district, "北店社区门口有人摆摊").street_id == towns["mafang"].pk


def test_given_street_wins_and_restricts_the_community(world, towns):
    guess = guess_place(world.district, "韩庄村 东店村", street_id=towns["mafang"].pk)
    assert guess.street_id == towns["mafang"].pk
    assert guess.community_id == towns["dongzhuang"].pk


def test_traditional_characters_and_no_place(world, towns):
    assert guess_place(world.district, "漁陽鎮韓莊村").community_id == towns["hanzhuang"].pk
    assert not guess_place(world.district, "没有地名的一段话🙂").found
    assert not guess_place(world.district, "").found


def test_new_division_is_seen_without_restart(world):
    assert not guess_place(world.district, "峪口地区").found
    DivisionFactory(code="110117004000", name="峪口地区", level="street", parent=world.district)
    assert guess_place(world.district, "峪口镇").street_code == "110117004000"


def test_a_huge_paste_keeps_the_address_and_reads_a_bounded_head(world, towns):
    """The address is read first and the text is cut at `text.MAX_CHARS` (after normalisation): a place
    named in the address or the head of a 100,000-character body is found; one named only after the cut
    is not (the cost stays that of a normal demand)."""
    filler = "楼下一直很吵" * 20_000
    assert len(filler) >= 100_000
    in_address = guess_place(world.district, "渔阳镇韩庄村东口", filler)
    assert in_address.street_id == towns["yuyang"].pk
    assert in_address.community_id == towns["hanzhuang"].pk
    at_the_head = guess_place(world.district, "", "我住滨河街道承平里社区。" + filler)
    assert at_the_head.street_id == world.street_a.pk
    assert at_the_head.community_words == ["承平里社区"]
    assert not guess_place(world.district, "", filler + "滨河街道承平里社区").found
    # Just inside the cut still counts.
    head = "楼" * (MAX_CHARS - len("承平里社区"))
    assert guess_place(world.district, "", head + "承平里社区").community_id == world.community_a1.pk
    assert not guess_place(world.district, "", "楼" * MAX_CHARS + "承平里社区").found


def test_mixed_scripts_emoji_and_latin_name_the_same_place(world, towns):
    simplified = guess_place(world.district, "渔阳镇韩庄村委会东口3号")
    for address in (
        "🏠漁陽鎮韓莊村委會東口3號",  # traditional
        "渔陽镇韓庄村委會 东口 No.3 😡",  # traditional and simplified in one word, Latin, emoji
        "ＹＵＹＡＮＧ 漁陽鎮，韓庄村委会东口３号",  # full-width Latin and digits
    ):
        guess = guess_place(world.district, address)
        assert (guess.street_id, guess.community_id) == (towns["yuyang"].pk, towns["hanzhuang"].pk)
        assert guess.street_words == simplified.street_words == ["渔阳镇"]
        assert guess.community_words == simplified.community_words == ["韩庄村委会"]


@pytest.mark.parametrize("text", ["", "   ", "🏠🚗😡", "\x00\x01\u200b", "hello world", "滨" * 100_000])
def test_bad_input_finds_no_place_and_never_fails(world, towns, text):
    guess = guess_place(world.district, text, text)
    assert not guess.found and guess.matches == [] and not guess.ambiguous
