"""Nearest offers for a request nothing satisfies ("Did you mean A100:8?", "add `+`").

Only the error path runs this, so it may scan catalogs. The catalog engine explains empty
results per cloud (``query.hints``: accelerator names and counts, exact cpus/memory that only
``N+`` satisfies; it knows canonical accelerator names and reads its indexes). This module adds
the relaxations that are the optimizer's business — spot, max price, region, zone — each checked,
not guessed: a hint is given only when the relaxed request really has an offering on one of the
clouds that were asked.
"""

from __future__ import annotations

from typing import Any

from skycore.catalog import query


def suggestions(resources: Any, cloud_objs: list[Any]) -> list[str]:
    """Human hints for ``resources`` over ``cloud_objs``; empty when nothing closer exists."""
    hints: list[str] = []
    for cloud in cloud_objs:
        try:
            found = [str(h) for h in query.hints(cloud, resources) or ()]
        except Exception:  # noqa: BLE001 - a hint must never hide the real error
            continue
        # catalogs differ per cloud: say which cloud offers what when several were asked
        label = f"{cloud.display_name or cloud.name}: " if len(cloud_objs) > 1 else ""
        hints += [label + h for h in found]
    hints += _relaxation_hints(resources, cloud_objs)
    return list(dict.fromkeys(h for h in hints if h))


def _feasible_anywhere(resources: Any, cloud_objs: list[Any]) -> bool:
    return any(query.feasible(cloud, resources) for cloud in cloud_objs)


_TRIALS = [("use_spot", {"use_spot": False}, "No spot offering matches: drop use_spot."),
           ("max_hourly_cost", {"max_hourly_cost": None},
            "Every match costs more than max_hourly_cost: raise it."),
           ("zone", {"zone": None}, "Not offered in zone {zone}: try another zone."),
           ("region", {"region": None, "zone": None},
            "Not offered in region {region}: try another region.")]


def _relaxation_hints(resources: Any, cloud_objs: list[Any]) -> list[str]:
    """One hint per field whose relaxation alone makes the request feasible."""
    copy = getattr(resources, "copy", None)
    if not callable(copy):
        return []
    return [text.format(zone=resources.zone, region=resources.region)
            for attr, change, text in _TRIALS
            if getattr(resources, attr, None) and _feasible_anywhere(copy(**change), cloud_objs)]
