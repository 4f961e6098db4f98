"""Tracking codes for residents: short, readable over the phone, unambiguous, unique.

"SB" + yymmdd + 5 characters from an alphabet without 0/O/1/I (32 symbols: 33 million codes a day).
Uniqueness is enforced by the database; `do_receive_demand` retries on a collision.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils import timezone

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RANDOM_LENGTH = 5


def new_tracking_code(now=None) -> str:
    prefix = getattr(settings, "TRACKING_CODE_PREFIX", "SB")
    day = timezone.localtime(now or timezone.now()).strftime("%y%m%d")
    # One call for all random bytes (this runs for every demand); 256 is a multiple of the alphabet's 32
    # symbols, so `byte % 32` is uniform.
    tail = "".join(ALPHABET[b % len(ALPHABET)] for b in secrets.token_bytes(RANDOM_LENGTH))
    return f"{prefix}{day}{tail}"


def normalise(code: str) -> str:
    """What a resident typed → the stored form (case, spaces, and the look-alikes O→0? no: O is not used)."""
    return "".join((code or "").split()).upper()
