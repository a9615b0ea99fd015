"""On-disk cache of parsed catalogs, so a cold process loads a 30k-row catalog in milliseconds.

Why: parsing GCP's ``vms.csv`` with the csv module and converting its numbers costs ~80 ms, and
every CLI process (``sky gpus list``, ``sky launch --dryrun``) would pay it for every cloud. The
parsed :class:`~skycore.catalog.columns.Columns` are stored as ``marshal`` of raw array bytes
(loads are a memcpy) under ``SKY_HOME/catalogs/cache/``, keyed by the source's absolute path,
size and mtime plus :data:`FORMAT`: editing, replacing or refreshing the CSV changes the key and
the next load re-parses it. marshal is safe here because only this module writes these files, in
the user's own SKY_HOME. A cache that cannot be written (read-only home) is simply skipped.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
from pathlib import Path

from skycore.catalog.columns import Columns
from skycore.catalog.csv_loader import read_vms_csv
from skycore.utils import atomic

logger = logging.getLogger(__name__)

#: bump when the Columns layout or the parsing rules change
FORMAT = "skycore-catalog-cache-4"


def cache_dir() -> Path:
    from skycore import paths

    return paths.sky_home() / "catalogs" / "cache"


def _cache_file(source: Path) -> Path:
    digest = hashlib.sha1(str(source).encode()).hexdigest()[:20]
    return cache_dir() / f"{source.parent.name}-{source.stem}-{digest}.bin"


def _key(source: Path) -> tuple[str, str, int, int]:
    st = source.stat()
    return (FORMAT, str(source), st.st_size, st.st_mtime_ns)


def load_csv(path: str | Path) -> Columns:
    """The parsed columns of ``path``, from the cache when it matches the file, else parsed
    (and cached)."""
    source = Path(path).resolve()
    key = _key(source)
    target = _cache_file(source)
    try:
        stored_key, strings, data = marshal.loads(target.read_bytes())
        if tuple(stored_key) == key:
            return Columns.from_parts(strings, data)
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        pass  # no cache, or a stale/foreign one: parse below
    columns = read_vms_csv(source)
    if _key(source) == key:  # not rewritten while we parsed it
        _write(target, marshal.dumps((key, *columns.to_parts())))
    return columns


def _write(target: Path, payload: bytes) -> None:
    try:
        atomic.write_bytes(target, payload)
    except OSError as exc:
        logger.debug("Catalog cache not written (%s): %s", target, exc)
