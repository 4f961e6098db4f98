"""The public pages (tracking, Open311) mask every way a phone number, an e-mail address or an identity
card number can be written in a unit's reply, and leave ordinary numbers alone."""

from __future__ import annotations

import re

import pytest

from shaobao.intake.privacy import scrub_contacts

LEAKS = [
    "13811112222",
    "138-1111-2222",
    "138 1111 2222",
    "138.1111.2222",
    "138—1111—2222",
    "+86 138 1111 2222",
    "+8613811112222",
    "+86-138-1111-2222",
    "0086 13811112222",
    "(+86)13811112222",
    "86-13811112222",
    "010-69961234",
    "(010)69961234",
    "（010）69961234",
    "0106996 1234",
    "010 6996 1234",
    "01069961234",
    "0571-8765432",
    "010-6996-1234",
    "010-69961234-801",
    "010-69961234转801",
]


@pytest.mark.parametrize("number", LEAKS)
def test_every_phone_layout_is_masked(number):
    text = f"已处理，如有问题请联系王科长{number}，谢谢"
    out = scrub_contacts(text)
    digits = re.sub(r"\D", "", number)
    assert re.sub(r"[^\d*]", "", out).count("*") >= len(digits) - 5, out
    assert number not in out
    assert "1111" not in out and "6996" not in out and "8765" not in out
    assert out.startswith("已处理，如有问题请联系王科长") and out.endswith("，谢谢")


@pytest.mark.parametrize(
    "text",
    ["请拨打电话 69961234", "座机：6996-1234", "tel 6996 1234"],
)
def test_a_local_number_after_a_phone_word_is_masked(text):
    assert "6996" not in scrub_contacts(text)


@pytest.mark.parametrize(
    "email", ["wang.ke@example.com", "li_si+x@mail.bj.gov.cn", "ZHANG@163.COM", "zhang＠qq.com"]
)
def test_email_addresses_are_masked(email):
    out = scrub_contacts(f"回复请发至 {email} 。")
    assert email not in out
    assert "@***" in out and out.startswith("回复请发至 ") and out.endswith(" 。")


@pytest.mark.parametrize("number", ["110101199003071234", "11010119900307123X", "110101900307123"])
def test_identity_card_numbers_are_masked(number):
    assert number not in scrub_contacts(f"身份证号{number}已核实")


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-04 已拆除",
        "2026年12月4日完成",
        "2026.12.04 复查",
        "09:30-11:30 施工",
        "查询码 SB26120423456 已合并",
        "罚款 13800 元，补偿 1,380.50 元",
        "3号楼2单元1301室",
        "1-2-301 住户",
        "请拨打 12345 热线",
        "共 120 户、2000 平方米",
        "工单号 2026120400123",
        "粤B12345 车辆已挪走",
    ],
)
def test_ordinary_numbers_stay(text):
    assert scrub_contacts(text) == text
