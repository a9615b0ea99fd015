"""Which clusters a ``stop/start/down/autostop/cancel`` command applies to.

Like SkyPilot, cluster arguments may be glob patterns (``sky down 'dev-*'``) matched against the
known cluster names, and ``-a/--all`` means every cluster of the user. Matching is pure so it is
testable without a cluster; :func:`resolve` adds the one SDK call that lists the names.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from typing import Any

import click

_GLOB_CHARS = "*?["


def is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in _GLOB_CHARS)


def match_names(patterns: Iterable[str], names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Expands ``patterns`` against ``names``.

    Returns ``(matched, unmatched_patterns)``: matched names keep the order of the patterns (and
    of ``names`` within one glob), without duplicates. Matching is case-sensitive, as cluster
    names are.
    """
    matched: list[str] = []
    seen: set[str] = set()
    unmatched: list[str] = []
    for pattern in patterns:
        if is_glob(pattern):
            hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        else:
            hits = [pattern] if pattern in names else []
        if not hits:
            unmatched.append(pattern)
        for name in hits:
            if name not in seen:
                seen.add(name)
                matched.append(name)
    return matched, unmatched


def resolve(patterns: Sequence[str], *, apply_to_all: bool, command: str,
            skip_status: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Cluster records selected by ``patterns`` or ``--all``; prints the ones not found.

    ``skip_status`` drops clusters in those states when ``--all`` is used (``sky stop -a`` leaves
    already-stopped clusters alone, as SkyPilot does).
    """
    if not patterns and not apply_to_all:
        raise click.UsageError(f"`sky {command}` requires either a cluster name or glob (see "
                               "`sky status`), or the -a/--all flag.")
    from skycore.client import sdk

    if apply_to_all:
        if patterns:
            click.echo(f"Both --all and cluster(s) specified for `sky {command}`. Letting --all "
                       "take effect.")
        skip = set(skip_status)
        return [r for r in sdk.get(sdk.status()) if r.get("status") not in skip]

    # Names may belong to other users (a teammate's cluster given explicitly), so match over all.
    records = sdk.get(sdk.status(all_users=True))
    by_name = {r["name"]: r for r in records}
    matched, unmatched = match_names(patterns, list(by_name))
    for pattern in unmatched:
        click.echo(f"Cluster {pattern} not found.")
    return [by_name[name] for name in matched]
