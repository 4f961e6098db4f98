"""Place from text: the streets/townships and communities/villages named in an address or a body.

A demand phoned in has an address, not coordinates. We recognise the district's division names and the
ways people write them — "渔阳地区" as "渔阳镇" or "渔阳", "韩庄村" as "韩庄", "平粮社区" as "平粮" — and
propose a street and a community, with the words that matched so the dispatcher can judge.

The alias table is built once per district and process (a dict keyed by alias plus the set of alias
lengths per first character: scanning is a handful of dict lookups per character, whatever the number of
divisions), and rebuilt when the district's divisions change.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max

from shaobao.org.models import Division
from shaobao.routing.text import normalise

STREET_SUFFIXES = ("街道办事处", "街道", "地区办事处", "地区", "镇", "乡", "办事处")
COMMUNITY_SUFFIXES = ("社区居委会", "村民委员会", "居民委员会", "社区", "村委会", "居委会", "村")
STREET_FORMS = ("", "街道", "地区", "镇", "乡", "街道办事处", "街道办")
COMMUNITY_FORMS = ("", "社区", "村", "村委会", "居委会", "社区居委会")
# How much one mention tells about the street: its own name, one of its communities, a bare short name.
WEIGHT_STREET, WEIGHT_COMMUNITY, WEIGHT_BARE = 2.0, 1.0, 0.5


@dataclass(frozen=True)
class Alias:
    division_id: int
    street_id: int | None
    level: str
    bare: bool  # the name without any suffix: weaker evidence


@dataclass
class PlaceMatch:
    word: str
    division_id: int
    code: str
    name: str
    level: str


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
    ambiguous: bool = False  # another street had as much evidence
    matches: list[PlaceMatch] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.street_id is not None or self.community_id is not None


def base_name(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class PlaceIndex:
    """Every alias of a district's streets and communities, for a left-to-right longest-match scan."""

    def __init__(self, divisions: list[Division]) -> None:
        self.divisions = {d.pk: d for d in divisions}
        candidates: dict[str, list[Alias]] = defaultdict(list)
        for d in divisions:
            if d.level == "street":
                suffixes, forms, street_id = STREET_SUFFIXES, STREET_FORMS, d.pk
            elif d.level == "community":
                suffixes, forms, street_id = COMMUNITY_SUFFIXES, COMMUNITY_FORMS, d.parent_id
            else:
                continue
            name = normalise(d.name)
            base = base_name(name, suffixes)
            candidates[name].append((0, Alias(d.pk, street_id, d.level, bare=False)))
            for form in forms:
                if form and base + form != name:
                    candidates[base + form].append((1, Alias(d.pk, street_id, d.level, bare=False)))
            if len(base) >= 2 and base != name:
                candidates[base].append((2, Alias(d.pk, street_id, d.level, bare=True)))
        # A word is kept at its best tier only: a division's real name (tier 0) beats another's generated
        # form ("北店社区" is that community, not "北店村" + 社区), which beats a bare name (tier 2). Real names
        # shared by two divisions stay (both are proposed); generated or bare forms shared are ambiguous.
        self.aliases: dict[str, list[Alias]] = {}
        for word, found in candidates.items():
            best = min(tier for tier, _ in found)
            kept = list({a.division_id: a for tier, a in found if tier == best}.values())
            if len(kept) > 1 and best > 0:
                continue
            self.aliases[word] = kept
        self._lengths: dict[str, list[int]] = defaultdict(list)
        for word in self.aliases:
            self._lengths[word[0]].append(len(word))
        for first, lengths in self._lengths.items():
            self._lengths[first] = sorted(set(lengths), reverse=True)

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

    def guess(self, text: str, *, street_id: int | None = None) -> PlaceGuess:
        """The best street (unless given) and community named in `text`, with the matched words."""
        hits = self.scan(normalise(text))
        guess = PlaceGuess()
        if not hits:
            return self._with_street(guess, street_id)
        evidence: dict[int, float] = defaultdict(float)
        for _word, alias in hits:
            if alias.street_id is None:
                continue
            if alias.level == "street":
                evidence[alias.street_id] += WEIGHT_BARE if alias.bare else WEIGHT_STREET
            else:
                evidence[alias.street_id] += WEIGHT_BARE if alias.bare else WEIGHT_COMMUNITY
        for word, alias in hits:
            d = self.divisions[alias.division_id]
            guess.matches.append(PlaceMatch(word, d.pk, d.code, d.name, d.level))
        if street_id is None and evidence:
            ranked = sorted(evidence.items(), key=lambda kv: -kv[1])
            street_id = ranked[0][0]
            guess.ambiguous = len(ranked) > 1 and ranked[1][1] == ranked[0][1]
        self._with_street(guess, street_id)
        community_scores: dict[int, float] = defaultdict(float)
        community_words: dict[int, list[str]] = defaultdict(list)
        for word, alias in hits:
            if alias.level == "community" and (street_id is None or alias.street_id == street_id):
                community_scores[alias.division_id] += WEIGHT_BARE if alias.bare else WEIGHT_COMMUNITY
                community_words[alias.division_id].append(word)
            elif alias.level == "street" and alias.division_id == street_id:
                guess.street_words.append(word)
        if community_scores:
            best = max(community_scores, key=lambda k: community_scores[k])
            community = self.divisions[best]
            guess.community_id, guess.community_code, guess.community_name = (
                best,
                community.code,
                community.name,
            )
            guess.community_words = sorted(set(community_words[best]))
            if guess.street_id is None:
                self._with_street(guess, community.parent_id)
        guess.street_words = sorted(set(guess.street_words))
        return guess

    def _with_street(self, guess: PlaceGuess, street_id: int | None) -> PlaceGuess:
        street = self.divisions.get(street_id) if street_id else None
        if street is not None:
            guess.street_id, guess.street_code, guess.street_name = street.pk, street.code, street.name
        return guess


_cache: dict[int, tuple[tuple, PlaceIndex]] = {}
_lock = threading.Lock()


def index_for(district: Division) -> PlaceIndex:
    """The district's alias index, rebuilt when a division under it is added, removed or renamed."""
    under = Division.objects.filter(code__startswith=district.prefix, level__in=("street", "community"))
    stamp = under.aggregate(n=Count("id"), last=Max("id"))
    # A rename keeps count and ids: it shows after a restart or `clear_cache()` (renames are rare).
    signature = (stamp["n"], stamp["last"])
    cached = _cache.get(district.pk)
    if cached is not None and cached[0] == signature:
        return cached[1]
    index = PlaceIndex(list(under.only("id", "code", "name", "level", "parent_id")))
    with _lock:
        _cache[district.pk] = (signature, index)
    return index


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def guess_place(district: Division, *texts: str, street_id: int | None = None) -> PlaceGuess:
    """Street and community named in the given texts (address first: it is the most reliable)."""
    return index_for(district).guess(" ".join(t for t in texts if t), street_id=street_id)
