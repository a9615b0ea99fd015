"""Two small in-process clouds for planning tests (registered through the real plugin manager):

- ``alpha``: zoned, spot, egress $0.09/GB; on-demand prices equal across a region's zones
  except ``a.big`` in ``a2``, whose zones differ;
- ``beta``: no zones, no spot, cheaper CPU machines, an A100:8 box, free egress.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest

from skycore.features import Feature
from skycore.interfaces.catalog import Offering
from skycore.interfaces.cloud import Cloud, Region, Zone
from skycore.plugins import CatalogSpec, CloudSpec, hookimpl
from skycore.testing.plugins import use_plugins

ALPHA = [
    # instance, vcpus, mem, acc, count, price, spot, region, zone
    ("a.small", 2, 8, None, 0, 0.20, 0.05, "a1", "a1-x"),
    ("a.small", 2, 8, None, 0, 0.20, 0.04, "a1", "a1-y"),
    ("a.small", 2, 8, None, 0, 0.25, 0.06, "a2", "a2-x"),
    ("a.big", 8, 32, None, 0, 0.90, 0.30, "a1", "a1-x"),
    ("a.big", 8, 32, None, 0, 0.80, 0.30, "a2", "a2-x"),
    ("a.big", 8, 32, None, 0, 0.85, 0.30, "a2", "a2-y"),
    ("a.t4", 8, 32, "T4", 1, 0.60, 0.20, "a1", "a1-y"),
    ("a.a100", 96, 680, "A100", 8, 30.0, 12.0, "a2", "a2-y"),
]
BETA = [
    ("b.small", 2, 8, None, 0, 0.10, None, "b1", None),
    ("b.small", 2, 8, None, 0, 0.12, None, "b2", None),
    ("b.a100x8", 96, 1000, "A100", 8, 25.0, None, "b1", None),
    ("b.a100-80", 12, 170, "A100-80GB", 2, 9.0, None, "b2", None),
]


class AlphaCloud(Cloud):
    name = "alpha"
    display_name = "Alpha"
    features = frozenset({Feature.MULTI_NODE, Feature.SPOT_INSTANCE, Feature.STOP,
                          Feature.OPEN_PORTS})
    has_zones = True
    egress_cost_per_gb = 0.09

    def regions(self) -> list[Region]:
        return [Region("a1", (Zone("a1-x", "a1"), Zone("a1-y", "a1"))),
                Region("a2", (Zone("a2-x", "a2"), Zone("a2-y", "a2")))]


class BetaCloud(Cloud):
    name = "beta"
    display_name = "Beta"
    features = frozenset({Feature.MULTI_NODE, Feature.STOP})

    def regions(self) -> list[Region]:
        return [Region("b1"), Region("b2")]


def rows(cloud: str, table: list[tuple]) -> list[Offering]:
    return [Offering(cloud=cloud, instance_type=i, vcpus=v, memory_gib=m, accelerator_name=a,
                     accelerator_count=c, price=p, spot_price=s, region=r, zone=z)
            for i, v, m, a, c, p, s, r, z in table]


def _module() -> types.ModuleType:
    module = types.ModuleType("opt_test_clouds")

    @hookimpl
    def skycore_clouds() -> list:
        return [CloudSpec("alpha", AlphaCloud, display_name="Alpha"),
                CloudSpec("beta", BetaCloud, display_name="Beta")]

    @hookimpl
    def skycore_catalogs() -> list:
        return [CatalogSpec("alpha", lambda: rows("alpha", ALPHA)),
                CatalogSpec("beta", lambda: rows("beta", BETA))]

    module.skycore_clouds = skycore_clouds
    module.skycore_catalogs = skycore_catalogs
    return module


@pytest.fixture
def clouds() -> Iterator[Any]:
    with use_plugins(("opt_test_clouds", _module())) as manager:
        yield manager
