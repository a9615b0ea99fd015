"""Online refresh of a cloud's catalog: SkyPilot's download-and-keep rules.

The downloaded copy lives at ``SKY_HOME/catalogs/v8/<cloud>/vms.csv``; ``.meta/vms.csv.md5``
holds the md5 of what was downloaded and ``.meta/vms.csv.stamp`` the time of the download.

* no copy yet: download it;
* the copy's md5 differs from the recorded one: the user edited it, **never overwrite it**;
* the copy is older than ``ttl_hours`` (``None``: never): download again;
* a failed download keeps the old copy (or, with none, the plugin's offline snapshot is used).

Writes go to a temporary file in the same directory and are renamed into place under a file
lock, so a concurrent reader sees the old or the new catalog, never half of one, and two
processes never download at once.
"""

from __future__ import annotations

import hashlib
import logging
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skycore.utils import atomic

logger = logging.getLogger(__name__)

SCHEMA = "v8"
FILENAME = "vms.csv"
_TIMEOUT_S = 10.0


def catalog_dir(cloud: str) -> Path:
    from skycore import paths

    return paths.sky_home() / "catalogs" / SCHEMA / cloud


def local_copy(cloud: str) -> Path:
    return catalog_dir(cloud) / FILENAME


def _meta(cloud: str, suffix: str) -> Path:
    return catalog_dir(cloud) / ".meta" / f"{FILENAME}.{suffix}"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def is_locally_edited(cloud: str) -> bool:
    """True when the copy exists and no longer matches what was downloaded."""
    copy, md5_file = local_copy(cloud), _meta(cloud, "md5")
    if not copy.exists():
        return False
    try:
        recorded = md5_file.read_text().strip()
    except OSError:
        return True  # a copy we did not download (placed by hand)
    return recorded != _md5(copy)


def age_hours(cloud: str) -> float | None:
    """Hours since the last download, None when there was none."""
    try:
        stamp = float(_meta(cloud, "stamp").read_text().strip())
    except (OSError, ValueError):
        return None
    return max(0.0, (time.time() - stamp) / 3600.0)


def make_fetcher(fetcher: str | Any) -> Callable[[], bytes]:
    """A URL becomes an HTTP GET; anything else is an import string or callable -> bytes."""
    if isinstance(fetcher, str) and fetcher.startswith(("http://", "https://")):
        url = fetcher

        def fetch_url() -> bytes:
            with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:  # noqa: S310
                data: bytes = response.read()
                return data

        return fetch_url
    from skycore.plugin_types import resolve

    function = resolve(fetcher)

    def fetch_call() -> bytes:
        data = function()
        return data.encode() if isinstance(data, str) else bytes(data)

    return fetch_call


def ensure_fresh(cloud: str, fetcher: str | Any, ttl_hours: float | None) -> Path | None:
    """The path of an up-to-date local copy of ``cloud``'s catalog, downloading it when needed.

    Returns None when there is no copy and the download failed (the caller falls back to the
    offline snapshot). Never raises for a network or fetcher failure: it is logged.
    """
    import filelock

    copy = local_copy(cloud)
    if copy.exists() and not _needs_download(cloud, ttl_hours):
        return copy
    lock_path = _meta(cloud, "lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(lock_path), timeout=60):
        if copy.exists() and not _needs_download(cloud, ttl_hours):
            return copy  # another process refreshed it while we waited
        try:
            data = make_fetcher(fetcher)()
            _check_csv(data)
        except Exception as exc:  # noqa: BLE001 - a catalog refresh must never break a command
            logger.warning("Could not refresh the %s catalog (%s); using the %s.", cloud,
                           f"{type(exc).__name__}: {exc}",
                           "existing copy" if copy.exists() else "offline snapshot")
            return copy if copy.exists() else None
        atomic.write_bytes(copy, data)
        atomic.write_bytes(_meta(cloud, "md5"),
                           hashlib.md5(data, usedforsecurity=False).hexdigest().encode())
        atomic.write_bytes(_meta(cloud, "stamp"), repr(time.time()).encode())
        return copy


def _needs_download(cloud: str, ttl_hours: float | None) -> bool:
    if is_locally_edited(cloud):
        return False
    age = age_hours(cloud)
    if age is None:
        return not local_copy(cloud).exists()
    return ttl_hours is not None and age >= ttl_hours


def _check_csv(data: bytes) -> None:
    """Refuse to replace a catalog with something that is not one (an HTML error page)."""
    first = data.split(b"\n", 1)[0]
    if b"InstanceType" not in first or b"Price" not in first:
        raise ValueError(f"downloaded file is not a vms.csv (first line: {first[:80]!r})")


