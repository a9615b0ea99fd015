"""The Acme cloud object (light: no SDK needed to describe the cloud)."""

from __future__ import annotations

from skycore.features import Feature
from skycore.interfaces.cloud import Cloud


class AcmeCloud(Cloud):
    name = "acme"
    display_name = "Acme"
    features = frozenset({Feature.STOP})


def load_offerings() -> list[object]:
    return []
