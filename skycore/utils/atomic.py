"""Replace a file's contents atomically: readers see the old file or the new one, never half.

A unique temporary name in the target's directory (``mkstemp``), so two writers never share
a temp file, and ``os.replace`` onto the target; the temp file is removed if writing fails.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(target: str | os.PathLike[str], text: str) -> None:
    write_bytes(target, text.encode())
