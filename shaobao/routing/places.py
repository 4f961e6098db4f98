"""Place recognition lives in the geography layer, `shaobao.org.places` (intake places demands with it too);
re-exported here for routing's callers."""

from shaobao.org.places import (
    Alias,
    Candidate,
    PlaceGuess,
    PlaceIndex,
    PlaceMatch,
    base_name,
    clear_cache,
    guess_place,
    index_for,
)

__all__ = [
    "Alias",
    "Candidate",
    "PlaceGuess",
    "PlaceIndex",
    "PlaceMatch",
    "base_name",
    "clear_cache",
    "guess_place",
    "index_for",
]
