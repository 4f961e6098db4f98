"""Place from words: the street/township and community/village an address or a text names.

A demand phoned in (12345, a call) has an address and a text, not coordinates. We recognise the district's
division names and the ways people write them — "渔阳地区" as "渔阳镇" or "渔阳", "韩庄村" as "韩庄",
"平粮社区" as "平粮小区" or "平粮居委会", "滨河街道" as "滨河街" — and the places of the district's
gazetteer (`GazetteerEntry`: roads, landmarks, estates, hamlets, with their street and, where known,
community), with "路 / 大街 / 街" taken as one. Every mention is evidence for a street; the street with most
evidence wins, a tie is ambiguous (a road crossing two streets, a village name shared by two townships) and
is answered with the candidates, never with a guess.

The alias table is built once per district and process (a dict keyed by alias plus the set of alias lengths
per first character: a scan is a handful of dict lookups per character, whatever the number of places). It
is dropped at once in this process when a division or gazetteer entry is saved or deleted (signals), and
other processes see the change within `RECHECK_SECONDS` (a cheap stamp query on both tables).

This is the geography layer: intake (placing a demand) and routing (proposing a place to the dispatcher)
both call it from here.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max

from shaobao.core.text import normalise
from shaobao.org.models import Division, GazetteerEntry

STREET_SUFFIXES = ("街道办事处", "街道办", "街道", "地区办事处", "地区", "镇", "乡", "办事处")
COMMUNITY_SUFFIXES = ("社区居委会", "村民委员会", "居民委员会", "社区", "村委会", "居委会", "村委", "村")
STREET_FORMS = ("", "街道", "街", "地区", "镇", "乡", "街道办事处", "街道办")
URBAN_FORMS = ("社区", "小区", "居委会", "社区居委会", "居民委员会")
VILLAGE_FORMS = ("村", "村委会", "村委", "村民委员会")
ROAD_SUFFIXES = ("大街", "路", "街")
ESTATE_SUFFIXES = ("小区", "家园", "社区")
# How much one mention tells about the street.
WEIGHT = {
    ("street", 0): 3.0,  # 滨河街道
    ("street", 1): 3.0,  # 滨河街, 渔阳镇
    ("street", 2): 1.0,  # 渔阳
    ("community", 0): 2.0,  # 平粮社区, 韩庄村
    ("community", 1): 2.0,  # 平粮小区
    ("community", 2): 1.5,  # 韩庄
    ("place", 0): 2.0,  # 府前街, 万达广场
    ("place", 1): 1.5,  # 府前大街
    ("place", 2): 1.0,  # a bare estate name
    ("street", 3): 1.0,  # one character wrong: 马房镇
    ("community", 3): 1.0,  # 魏太物村
    ("place", 3): 1.0,
}
RECHECK_SECONDS = 5.0
FUZZY_MAX = 3
SUFFIX_CHARS = frozenset("村镇乡区道街路会委")
# Villages whose bare name is an everyday word ("中心", "胜利", "关上"): only "中心村" etc. name them.
COMMON_WORDS = frozenset(
    "中心 河北 胜利 向阳 桃园 南山 关上 放光 天井 新农 太后 行宫 新立 桥头 光明 阳光 和平 太平 平安 东沟 "
    "新星 园丁 仁和 腾飞 腾龙 汇景 慧谷 金海".split()
)


@dataclass(frozen=True)
class Alias:
    key: str  # "d<id>" for a division, "g<id>" for a gazetteer entry
    street_id: int | None
    community_id: int | None
    level: str  # street / community / place
    tier: int  # 0 real name, 1 a usual form of it, 2 the bare name


@dataclass
class PlaceMatch:
    word: str
    division_id: int
    code: str
    name: str
    level: str


@dataclass
class Candidate:
    street_id: int
    street_code: str
    street_name: str
    community_id: int | None = None
    community_code: str = ""
    community_name: str = ""
    words: list[str] = field(default_factory=list)
    score: float = 0.0

    def as_dict(self) -> dict:
        return {
            "street_code": self.street_code,
            "street_name": self.street_name,
            "community_code": self.community_code,
            "community_name": self.community_name,
            "words": self.words,
            "score": round(self.score, 2),
        }


@dataclass
class PlaceGuess:
    street_id: int | None = None
    street_code: str = ""
    street_name: str = ""
    street_words: list[str] = field(default_factory=list)
    community_id: int | None = None
    community_code: str = ""
    community_name: str = ""
    community_words: list[str] = field(default_factory=list)
    ambiguous: bool = False  # another street had as much evidence: see `candidates`
    confidence: float = 0.0  # 0..1, how sure the street is
    candidates: list[Candidate] = field(default_factory=list)  # the tied streets when ambiguous
    matches: list[PlaceMatch] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.street_id is not None or self.community_id is not None


def base_name(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _place_forms(name: str, kind: str) -> tuple[list[str], list[str]]:
    """(usual forms, bare forms) of a gazetteer name: 府前街 → 府前路/府前大街; 金谷园小区 → 金谷园家园…"""
    forms: list[str] = []
    bare: list[str] = []
    if kind == "road":
        base = base_name(name, ROAD_SUFFIXES)
        if base != name:
            forms += [base + s for s in ROAD_SUFFIXES]
    elif kind == "estate":
        base = base_name(name, ESTATE_SUFFIXES)
        if base != name:
            forms += [base + s for s in ESTATE_SUFFIXES]
            if len(base) >= 3:
                bare.append(base)
    elif kind == "village":
        base = base_name(name, ("村",))
        if base != name:
            forms += [base + s for s in ("村委会", "村委")]
            if base not in COMMON_WORDS:
                bare.append(base)
    return [f for f in forms if f != name], [b for b in bare if b != name]


class PlaceIndex:
    """Every alias of a district's streets, communities and gazetteer places, for a longest-match scan."""

    def __init__(self, divisions: list[Division], entries: list[GazetteerEntry] = ()) -> None:
        self.divisions = {d.pk: d for d in divisions}
        self.entries = {e.pk: e for e in entries}
        candidates: dict[str, list[Alias]] = defaultdict(list)
        shadows: dict[str, list[Alias]] = defaultdict(list)

        def add(word: str, alias: Alias) -> None:
            if len(word) >= 2:
                candidates[word].append(alias)

        for d in divisions:
            name = normalise(d.name)
            is_village = name.endswith("村")
            cross: tuple[str, ...] = ()
            if d.level == "street":
                suffixes, forms, street_id, community_id = STREET_SUFFIXES, STREET_FORMS, d.pk, None
            elif d.level == "community":
                suffixes, street_id, community_id = COMMUNITY_SUFFIXES, d.parent_id, d.pk
                # A village's own forms first; the other kind's ("韩庄社区") only where no one else has them.
                forms, cross = (VILLAGE_FORMS, URBAN_FORMS) if is_village else (URBAN_FORMS, VILLAGE_FORMS)
            else:
                continue
            base = base_name(name, suffixes)
            key = f"d{d.pk}"
            add(name, Alias(key, street_id, community_id, d.level, 0))
            for form in forms:
                if form and base + form != name:
                    add(base + form, Alias(key, street_id, community_id, d.level, 1))
            for form in cross:
                if base + form != name:
                    add(base + form, Alias(key, street_id, community_id, d.level, 2))
            # A village is often named without its 村 ("韩庄"); a 2-character urban community's bare name
            # ("光明", "阳光") is an ordinary word, so only its suffixed forms count.
            if base != name and base not in COMMON_WORDS:
                if len(base) >= 3 or is_village or d.level == "street":
                    add(base, Alias(key, street_id, community_id, d.level, 2))
                else:  # counts only against another place's bare name: "北店" is 北店村 or 北店社区
                    shadows[base].append(Alias(key, street_id, community_id, d.level, 2))
        for e in entries:
            if e.street_id is None:
                continue
            key = f"g{e.pk}"
            names = [normalise(e.name), *(normalise(a) for a in e.alias_list())]
            for word in names:
                add(word, Alias(key, e.street_id, e.community_id, "place", 0))
                forms, bare = _place_forms(word, e.kind)
                for form in forms:
                    add(form, Alias(key, e.street_id, e.community_id, "place", 1))
                for b in bare:
                    add(b, Alias(key, e.street_id, e.community_id, "place", 2))
        # A word is kept at its best tier only: a real name (tier 0) beats another's generated form
        # ("北店社区" is that community, not "北店村" + 社区), which beats a bare name (tier 2). What is
        # left shared between several places stays: it is evidence for each (a tie is then ambiguous).
        # Words that name a street in any form: "王辛庄" before a village is the township (王辛庄镇), not
        # the township's seat village 王辛庄村, when it comes to choosing the community.
        self.street_words: dict[str, set[int]] = defaultdict(set)
        for word, found in candidates.items():
            for a in found:
                if a.level == "street":
                    self.street_words[word].add(a.street_id)
        self.aliases: dict[str, list[Alias]] = {}
        for word, found in candidates.items():
            best = min(a.tier for a in found)
            self.aliases[word] = list({a.key: a for a in found if a.tier == best}.values())
        for word, found in shadows.items():
            if word in self.aliases and self.aliases[word][0].tier == 2:
                self.aliases[word] += found
        self._lengths: dict[str, list[int]] = defaultdict(list)
        for word in self.aliases:
            self._lengths[word[0]].append(len(word))
        for first, lengths in self._lengths.items():
            self._lengths[first] = sorted(set(lengths), reverse=True)
        self._build_fuzzy()

    def _build_fuzzy(self) -> None:
        """One character miswritten ("魏太物村" for 魏太务村, "马房镇" for 马坊镇): every real name or usual
        form of 3+ characters with one of its name characters (not the suffix) replaced by "?". A key that
        fits more than `FUZZY_MAX` places says nothing and is dropped."""
        fuzzy: dict[str, dict[str, Alias]] = defaultdict(dict)
        for word, aliases in self.aliases.items():
            if len(word) < 3 or aliases[0].tier > 1:
                continue
            stem = len(word) - 1 if word[-1] in SUFFIX_CHARS else len(word)
            for j in range(stem):
                k = word[:j] + "?" + word[j + 1 :]
                for a in aliases:
                    fuzzy[k][a.key] = Alias(a.key, a.street_id, a.community_id, a.level, 3)
        self.fuzzy = {k: list(v.values()) for k, v in fuzzy.items() if len(v) <= FUZZY_MAX}
        self._fuzzy_lengths = sorted({len(k) for k in self.fuzzy}, reverse=True)

    def fuzzy_scan(self, text: str) -> list[tuple[str, Alias]]:
        """Like `scan`, for names with one character wrong (a fallback: only when nothing matched exactly)."""
        found, i, n = [], 0, len(text)
        while i < n:
            for length in self._fuzzy_lengths:
                word = text[i : i + length]
                if len(word) < length:
                    continue
                hit = None
                for j in range(length):
                    hit = self.fuzzy.get(word[:j] + "?" + word[j + 1 :])
                    if hit:
                        break
                if hit:
                    found.extend((word, a) for a in hit)
                    i += length
                    break
            else:
                i += 1
        return found

    def scan(self, text: str) -> list[tuple[str, Alias]]:
        """Longest alias starting at each position, left to right, without overlaps."""
        found, i, n = [], 0, len(text)
        while i < n:
            for length in self._lengths.get(text[i], ()):
                word = text[i : i + length]
                if word in self.aliases:
                    found.extend((word, a) for a in self.aliases[word])
                    i += length
                    break
            else:
                i += 1
        return found

    def guess(self, text: str, *, street_id: int | None = None, fuzzy: bool = True) -> PlaceGuess:
        """The best street (unless given) and community named in `text`, with the matched words."""
        norm = normalise(text)
        hits = self.scan(norm)
        fuzzy_used = not hits or not fuzzy
        if not hits and fuzzy:
            hits = self.fuzzy_scan(norm)
        guess = PlaceGuess()
        for word, alias in hits:
            if alias.level != "place" and alias.tier < 3:
                d = self.divisions[int(alias.key[1:])]
                guess.matches.append(PlaceMatch(word, d.pk, d.code, d.name, d.level))
        if street_id is not None:
            self._with_street(guess, street_id)
            guess.confidence = 1.0
            self._community(guess, hits, street_id)
            if guess.community_id is None and not fuzzy_used:
                self._community(guess, self.fuzzy_scan(norm), street_id)
            return guess
        # The same place named twice ("滨河街道……滨河") is one piece of evidence, at its strongest form.
        per_place: dict[tuple[str, int], float] = {}
        for _word, alias in hits:
            if alias.street_id is None:
                continue
            k = (alias.key, alias.street_id)
            per_place[k] = max(per_place.get(k, 0.0), WEIGHT[(alias.level, alias.tier)])
        evidence: dict[int, float] = defaultdict(float)
        for (_key, sid), weight in per_place.items():
            evidence[sid] += weight
        if not evidence:
            return guess
        ranked = sorted(evidence.items(), key=lambda kv: (-kv[1], kv[0]))
        top, first = ranked[0][1], ranked[0][0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if second >= top:
            guess.ambiguous = True
            for sid, score in ranked:
                if score < top:
                    break
                street = self.divisions.get(sid)
                if street is None:
                    continue
                probe = PlaceGuess()
                self._community(probe, hits, sid)
                words = sorted({w for w, a in hits if a.street_id == sid})
                guess.candidates.append(
                    Candidate(
                        sid,
                        street.code,
                        street.name,
                        probe.community_id,
                        probe.community_code,
                        probe.community_name,
                        words,
                        score,
                    )
                )
            return guess
        self._with_street(guess, first)
        strength = 0.5 + 0.5 * min(1.0, top / 3.0)
        if all(a.tier == 3 for _w, a in hits if a.street_id == first):
            strength = min(strength, 0.6)  # found only through a miswritten name
        guess.confidence = round(strength * (1.0 - 0.5 * second / top), 2)
        self._community(guess, hits, first)
        if guess.community_id is None and not fuzzy_used:
            self._community(guess, self.fuzzy_scan(norm), first)
        return guess

    def _community(self, guess: PlaceGuess, hits: list[tuple[str, Alias]], street_id: int) -> None:
        scores: dict[int, float] = defaultdict(float)
        words: dict[int, list[str]] = defaultdict(list)
        # The first mention of the township's name is the township ("王辛庄熊耳营": 王辛庄镇, not its seat
        # village 王辛庄村); once the township is named, its name again is the seat village ("夏各庄镇夏各庄").
        street_named, previous = False, None
        mine = [(w, a) for w, a in hits if a.street_id == street_id]
        for word, alias in mine:
            names_street = alias.level == "street" or street_id in self.street_words.get(word, ())
            if word is not previous and names_street:
                first_mention, street_named = not street_named, True
            previous = word
            if alias.level == "street":
                guess.street_words.append(word)
            elif alias.community_id is not None:
                if names_street and first_mention and len(mine) > 1:
                    continue
                scores[alias.community_id] += WEIGHT[(alias.level, alias.tier)] + (
                    0.5 if alias.level == "community" else 0.0
                )
                words[alias.community_id].append(word)
        guess.street_words = sorted(set(guess.street_words))
        if not scores:
            return
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(ranked) > 1 and ranked[1][1] >= ranked[0][1]:
            return  # two communities of the street as likely: leave the community open
        best = ranked[0][0]
        community = self.divisions.get(best)
        if community is None:
            return
        guess.community_id, guess.community_code, guess.community_name = best, community.code, community.name
        guess.community_words = sorted(set(words[best]))

    def _with_street(self, guess: PlaceGuess, street_id: int | None) -> PlaceGuess:
        street = self.divisions.get(street_id) if street_id else None
        if street is not None:
            guess.street_id, guess.street_code, guess.street_name = street.pk, street.code, street.name
        return guess


_cache: dict[str, tuple[tuple, float, PlaceIndex]] = {}
_lock = threading.Lock()


def _signature(prefix: str) -> tuple:
    under = Division.objects.filter(code__startswith=prefix, level__in=("street", "community"))
    d = under.aggregate(n=Count("id"), last=Max("id"))
    g = GazetteerEntry.objects.filter(street__code__startswith=prefix).aggregate(
        n=Count("id"), last=Max("id"), changed=Max("updated_at")
    )
    return (d["n"], d["last"], g["n"], g["last"], g["changed"])


def index_for(district: Division) -> PlaceIndex:
    """The district's alias index; rebuilt when a division or gazetteer entry under it changes."""
    return index_for_prefix(district.prefix)


def index_for_prefix(prefix: str) -> PlaceIndex:
    """`index_for` by the district's 6-digit code prefix (a street's code starts with it)."""
    now = time.monotonic()
    cached = _cache.get(prefix)
    if cached is not None and now - cached[1] < RECHECK_SECONDS:
        return cached[2]
    signature = _signature(prefix)
    if cached is not None and cached[0] == signature:
        with _lock:
            _cache[prefix] = (signature, now, cached[2])
        return cached[2]
    divisions = Division.objects.filter(code__startswith=prefix, level__in=("street", "community"))
    entries = GazetteerEntry.objects.filter(street__code__startswith=prefix, is_active=True)
    index = PlaceIndex(
        list(divisions.only("id", "code", "name", "level", "parent_id")),
        list(entries.only("id", "name", "aliases", "kind", "street_id", "community_id")),
    )
    with _lock:
        _cache[prefix] = (signature, now, index)
    return index


def clear_cache(**_kwargs) -> None:
    """Drop this process's indexes (a signal receiver: a division or gazetteer entry changed)."""
    global _districts  # noqa: PLW0603
    with _lock:
        _cache.clear()
        _districts = None


def guess_place(district: Division, *texts: str, street_id: int | None = None) -> PlaceGuess:
    """Street and community named in the given texts (address first: it is the most reliable)."""
    return index_for(district).guess(" ".join(t for t in texts if t), street_id=street_id)


_districts: tuple[float, list[str]] | None = None


def district_prefixes() -> list[str]:
    """The prefixes of the districts that have streets (where a text without coordinates may be)."""
    global _districts  # noqa: PLW0603 - a per-process memo, like the index cache
    now = time.monotonic()
    if _districts is not None and now - _districts[0] < RECHECK_SECONDS:
        return _districts[1]
    codes = Division.objects.filter(level="district", children__level="street").values_list("code", flat=True)
    prefixes = sorted({c[:6] for c in codes})
    _districts = (now, prefixes)
    return prefixes


def guess_anywhere(*texts: str) -> PlaceGuess:
    """`guess_place` over every district with streets: a place found in one district only is the answer;
    found in several, the result is ambiguous with all their candidates."""
    text = " ".join(t for t in texts if t)
    found = [
        g
        for g in (index_for_prefix(p).guess(text) for p in district_prefixes())
        if g.street_id or g.ambiguous
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        return PlaceGuess()
    merged = PlaceGuess(ambiguous=True)
    for g in found:
        if g.street_id is not None:
            merged.candidates.append(
                Candidate(
                    g.street_id,
                    g.street_code,
                    g.street_name,
                    g.community_id,
                    g.community_code,
                    g.community_name,
                    sorted({*g.street_words, *g.community_words}),
                    g.confidence,
                )
            )
        merged.candidates.extend(g.candidates)
        merged.matches.extend(g.matches)
    return merged
