"""Accelerator names: case-insensitive canonicalization and close-match suggestions.

Users write ``a100-80gb``, ``h100`` or ``TPU-V4-8``; catalogs spell them ``A100-80GB``, ``H100``
and ``tpu-v4-8``. The canonical spelling is the one a catalog uses; names come from SkyPilot's
``common/accelerators.csv`` (shipped in ``data/``) plus every name seen in the catalogs loaded so
far in this process (:func:`register`), so a plugin's new GPU is known as soon as its cloud is.
Typos get difflib suggestions ("H10" -> "Did you mean 'H100'?").
"""

from __future__ import annotations

import csv
import difflib
import threading
from collections.abc import Iterable
from pathlib import Path

from skycore import errors

_DATA = Path(__file__).resolve().parent / "data" / "accelerators.csv"
_lock = threading.Lock()
_known: dict[str, str] | None = None  # lower-case name -> canonical spelling


def _base_names() -> dict[str, str]:
    names: dict[str, str] = {}
    try:
        with _DATA.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                name = (row.get("AcceleratorName") or "").strip()
                if name:
                    names.setdefault(name.lower(), name)
    except OSError:
        pass
    return names


def _names() -> dict[str, str]:
    global _known
    with _lock:
        if _known is None:
            _known = _base_names()
        return _known


def register(names: Iterable[str]) -> None:
    """Add the names of a loaded catalog (their spelling wins over accelerators.csv's)."""
    known = _names()
    with _lock:
        for name in names:
            if name:
                known[name.lower()] = name


def reset() -> None:
    """Forget the names learned from catalogs (tests; :func:`query.clear_cache`)."""
    global _known
    with _lock:
        _known = None


def known_names() -> list[str]:
    return sorted(set(_names().values()))


def canonical(name: str, candidates: Iterable[str] | None = None) -> str | None:
    """The canonical spelling of ``name`` (case-insensitive), None when unknown.

    ``candidates`` (e.g. one cloud's names) are searched first; their spelling wins.
    """
    key = name.strip().lower()
    if candidates is not None:
        for candidate in candidates:
            if candidate.lower() == key:
                return candidate
    return _names().get(key)


def close_matches(name: str, candidates: Iterable[str] | None = None, n: int = 3) -> list[str]:
    """Known names that look like ``name`` (case-insensitive), best first."""
    pool = {c.lower(): c for c in (candidates if candidates is not None else known_names())}
    key = name.strip().lower()
    found = difflib.get_close_matches(key, list(pool), n=n, cutoff=0.6)
    if not found:
        # "H10" vs "H100": a prefix is a strong hint even when the ratio is low
        found = sorted((k for k in pool if k.startswith(key) and len(key) >= 2), key=len)[:n]
    return [pool[k] for k in found]


def did_you_mean(name: str, candidates: Iterable[str] | None = None) -> str | None:
    """``"Did you mean 'H100'?"`` (or None when nothing is close)."""
    matches = close_matches(name, candidates)
    if not matches:
        return None
    if len(matches) == 1:
        return f"Did you mean {matches[0]!r}?"
    return "Did you mean one of: " + ", ".join(repr(m) for m in matches) + "?"


def validate(name: str, candidates: Iterable[str] | None = None,
             field: str = "resources.accelerators") -> str:
    """The canonical name, or a :class:`~skycore.errors.TaskValidationError` with suggestions
    for a name no catalog knows."""
    pool = list(candidates) if candidates is not None else None
    found = canonical(name, pool)
    if found is None and pool is not None:
        found = canonical(name)
    if found is not None:
        return found
    raise errors.TaskValidationError(
        f"Unknown accelerator {name!r}. Run `sky gpus list --all` to see the accelerators "
        "offered by the enabled clouds.", field=field, value=name,
        hint=did_you_mean(name, (pool or []) + known_names()))
