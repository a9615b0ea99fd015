"""The ``infra`` location string: ``cloud[/region[/zone]]``.

One string says where a task may run, instead of three separate YAML keys. ``*`` is a wildcard in
any position (``*/us-east-1``, ``aws/*/us-east-1a``). Kubernetes context names may contain
slashes, so for ``k8s/`` and ``kubernetes/`` everything after the first slash is the context
(stored as the region). SSH node pools (``ssh/<pool>``) are stored with the region ``ssh-<pool>``,
the name SkyPilot uses internally, so state written by either tool means the same.

Cloud names are only lower-cased and de-aliased for ``k8s`` here; resolving a name against the
installed cloud plugins is the plugin manager's job, not this parser's.
"""

from __future__ import annotations

import dataclasses

from skycore.errors import TaskValidationError

__all__ = ["InfraInfo", "canonical_cloud_name", "truncate_middle"]

_K8S_NAMES = frozenset({"k8s", "kubernetes"})
_SSH_CLOUD = "ssh"
_SSH_REGION_PREFIX = "ssh-"
_TRUNCATE_AT = 25  # longer region/zone names are shortened in tables


def canonical_cloud_name(name: str) -> str:
    """Lower-case a cloud name and map the ``k8s`` shorthand to ``kubernetes``."""
    lowered = name.strip().lower()
    return "kubernetes" if lowered in _K8S_NAMES else lowered


def truncate_middle(text: str, max_len: int = _TRUNCATE_AT) -> str:
    """Shorten ``text`` to ``max_len`` chars keeping both ends (``us-east-1-v...long-region``)."""
    if len(text) <= max_len:
        return text
    keep = (max_len - 3) // 2
    return f"{text[:keep]}...{text[-keep:]}"


def _blank_to_none(value: str | None) -> str | None:
    """``None``, ``''`` and ``'*'`` all mean "any" and are stored as ``None``."""
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", "*") else value


@dataclasses.dataclass(frozen=True)
class InfraInfo:
    """A parsed location. ``None`` in a field means "any"."""

    cloud: str | None = None
    region: str | None = None
    zone: str | None = None

    def __post_init__(self) -> None:
        cloud = _blank_to_none(self.cloud)
        object.__setattr__(self, "cloud", canonical_cloud_name(cloud) if cloud else None)
        object.__setattr__(self, "region", _blank_to_none(self.region))
        object.__setattr__(self, "zone", _blank_to_none(self.zone))

    # ------------------------------------------------------------------ parsing
    @classmethod
    def from_str(cls, infra: str | None, *, field: str = "infra") -> InfraInfo:
        """Parse ``cloud[/region[/zone]]``; ``field`` names the input in error messages."""
        if infra is None:
            return cls()
        if not isinstance(infra, str):
            raise TaskValidationError(
                "must be a string such as 'aws', 'aws/us-east-1' or 'k8s/my-context'.",
                field=field,
                value=infra,
            )
        text = infra.strip()
        if not text:
            return cls()
        # A trailing slash ('aws/us-east-1/') is harmless; an empty middle part is not.
        body = text.rstrip("/")
        parts = [p.strip() for p in body.split("/")]
        if not body or "" in parts:
            raise TaskValidationError(
                "empty part in the location (e.g. a double slash '//').",
                field=field,
                value=infra,
                hint="Use 'cloud', 'cloud/region' or 'cloud/region/zone'; '*' means any.",
            )
        cloud = parts[0].lower()
        if cloud in _K8S_NAMES or cloud == _SSH_CLOUD:
            # The rest is a context / pool name that may itself contain slashes.
            rest = "/".join(parts[1:]) or None
            if cloud == _SSH_CLOUD:
                if rest and rest != "*" and not rest.startswith(_SSH_REGION_PREFIX):
                    rest = _SSH_REGION_PREFIX + rest
                return cls(_SSH_CLOUD, rest, None)
            return cls("kubernetes", rest, None)
        if len(parts) > 3:
            raise TaskValidationError(
                f"too many parts ({len(parts)}); at most cloud/region/zone.",
                field=field,
                value=infra,
                hint="Use 'cloud', 'cloud/region' or 'cloud/region/zone'; '*' means any.",
            )
        region = parts[1] if len(parts) > 1 else None
        zone = parts[2] if len(parts) > 2 else None
        return cls(cloud, region, zone)

    # ------------------------------------------------------------------ printing
    def _display_region(self) -> str | None:
        if self.region and self.cloud == _SSH_CLOUD and self.region.startswith(_SSH_REGION_PREFIX):
            return self.region[len(_SSH_REGION_PREFIX):]
        return self.region

    def to_str(self) -> str | None:
        """The ``infra`` string, trailing wildcards dropped; ``None`` when everything is "any"."""
        parts = [self.cloud or "*", self._display_region() or "*", self.zone or "*"]
        while parts and parts[-1] == "*":
            parts.pop()
        return "/".join(parts) if parts else None

    def formatted_str(self, truncate: bool = True) -> str:
        """Table form: ``cloud (zone-or-region)``; ``-`` when no cloud is fixed."""
        if self.cloud is None:
            return "-"
        where = self.zone or self._display_region()
        if not where:
            return self.cloud
        if truncate:
            where = truncate_middle(where)
        return f"{self.cloud} ({where})"

    def is_any(self) -> bool:
        """True when no part of the location is fixed."""
        return self.cloud is None and self.region is None and self.zone is None

    def __str__(self) -> str:
        return self.to_str() or "*"
