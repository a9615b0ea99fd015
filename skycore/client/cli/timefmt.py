"""Human-readable times exactly as SkyPilot's tables show them.

SkyPilot renders timestamps with pendulum (``diff_for_humans`` / ``in_words``) and then shortens
the words: ``a few secs ago``, ``1 min ago``, ``3 hrs ago``; durations ``1m 3s``, ``2h 5m``. We
reproduce those strings with plain arithmetic so the CLI needs no date library.
"""

from __future__ import annotations

import time

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
_WEEK = 7 * _DAY
_MONTH = 30 * _DAY  # calendar months are approximated; only the coarse units use them
_YEAR = 365 * _DAY

# (unit length in seconds, long name used in "ago" strings, short suffix used in durations)
_UNITS = (
    (_YEAR, "year", "y"),
    (_MONTH, "month", "mo"),
    (_WEEK, "week", "w"),
    (_DAY, "day", "d"),
    (_HOUR, "hr", "h"),
    (_MINUTE, "min", "m"),
)


def _valid(ts: float | None) -> bool:
    # A negative start means "not started yet" in skylet's job table.
    return ts is not None and ts >= 0


def time_ago(ts: float | None, now: float | None = None) -> str:
    """``a few secs ago`` / ``15 secs ago`` / ``1 min ago`` / ``2 hrs ago`` / ``3 days ago``.

    Like pendulum, only the largest unit counts and the count is truncated, not rounded.
    A missing timestamp is ``-``.
    """
    if not _valid(ts):
        return "-"
    assert ts is not None
    now = time.time() if now is None else now
    delta = max(0.0, now - ts)  # clock skew must not produce "in 2 secs"
    if delta < 1:
        return "< 1 sec"  # SkyPilot's wording, without "ago"
    for length, name, _ in _UNITS:
        if delta >= length:
            count = int(delta // length)
            return f"{count} {name}{'' if count == 1 else 's'} ago"
    seconds = int(delta)
    if seconds < 10:
        return "a few secs ago"
    return f"{seconds} secs ago"


def duration(start: float | None, end: float | None = None, now: float | None = None) -> str:
    """Exact duration between two timestamps: ``1m 3s``, ``2h 5m 10s``, ``< 1s``; ``-`` if unset.

    With no ``end`` the duration runs until now (a job that is still running).
    """
    if not _valid(start):
        return "-"
    assert start is not None
    if end is None:
        end = time.time() if now is None else now
    if end == start == 0:
        return "-"
    return format_seconds(end - start)


def format_seconds(seconds: float) -> str:
    """``in_words``-style duration with SkyPilot's short suffixes; zero parts are left out."""
    seconds = max(0.0, seconds)
    if seconds < 1:
        return "< 1s"
    remaining = int(seconds)
    parts = []
    for length, _, suffix in _UNITS:
        count, remaining = divmod(remaining, length)
        if count:
            parts.append(f"{count}{suffix}")
    if remaining:
        parts.append(f"{remaining}s")
    return " ".join(parts)
