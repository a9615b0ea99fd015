"""Send a task's local files (workdir, local file mount sources) to a remote API server.

The server runs the launch, so it needs the files; the client packs them into one deterministic
``tar.gz`` (sorted entries, zero timestamps and owners, gzip without a name or date): the same
files always give the same bytes, so the archive's sha256 is a *content hash* and an unchanged
workdir is never sent twice. Directories honour ``.gitignore`` files the way the rsync sync does
(``--filter=':- .gitignore'``: each directory's ``.gitignore`` applies to that directory and
below), with git's pattern rules. Symlinks that stay inside a source are kept; others are
replaced by their target when it is a file and skipped otherwise (a link to the client's
``/data`` means nothing on the server).

``manifest.json`` in the archive maps each original path (as the task spells it, and expanded)
to its place in the archive; the server rewrites the task with it.

The upload is chunked (default 8 MiB, ``SKY_UPLOAD_CHUNK_BYTES``), each chunk retried with
backoff, and resumable: the server reports which chunks it holds and only the others are sent.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode

from skycore import errors
from skycore.client import endpoint as endpoint_lib
from skycore.client import rest

MANIFEST = "manifest.json"  # the same name in skycore.server.uploads
DEFAULT_CHUNK_BYTES = 8 * 2**20
RETRIES = 4
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


# ----------------------------------------------------------------------------- .gitignore
@dataclasses.dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    anchored: bool  # matched against the path under the .gitignore's directory, not the name


def _glob_to_regex(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_gitignore(text: str) -> list[_Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip("\n")
        if not line.endswith("\\ "):
            line = line.rstrip(" ")
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        rules.append(_Rule(re.compile(_glob_to_regex(line), re.DOTALL), negate, dir_only,
                           anchored))
    return rules


def _ignored(rules: list[tuple[str, list[_Rule]]], rel: str, is_dir: bool) -> bool:
    """Git's rule: the last matching pattern (deepest .gitignore last) decides."""
    ignored = False
    name = rel.rsplit("/", 1)[-1]
    for base, file_rules in rules:
        sub = rel[len(base) + 1:] if base else rel
        for rule in file_rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.fullmatch(sub if rule.anchored else name):
                ignored = not rule.negate
    return ignored


def walk(root: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """``(path relative to root, entry)`` of everything not git-ignored, sorted, depth first.

    An ignored directory is not entered (as in git, a file inside it cannot be re-included).
    """
    def visit(rel_dir: str, rules: list[tuple[str, list[_Rule]]]
              ) -> Iterator[tuple[str, os.DirEntry[str]]]:
        path = os.path.join(root, rel_dir) if rel_dir else root
        ignore_file = os.path.join(path, ".gitignore")
        if os.path.isfile(ignore_file):
            with open(ignore_file, encoding="utf-8", errors="replace") as f:
                rules = [*rules, (rel_dir, parse_gitignore(f.read()))]
        with os.scandir(path) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if _ignored(rules, rel, is_dir):
                continue
            yield rel, entry
            if is_dir:
                yield from visit(rel, rules)

    yield from visit("", [])


# ----------------------------------------------------------------------------- archive
def _info(name: str, kind: bytes, mode: int = 0o644, size: int = 0,
          linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: str) -> None:
    st = os.stat(path)
    with open(path, "rb") as f:
        tar.addfile(_info(name, tarfile.REGTYPE, stat.S_IMODE(st.st_mode), st.st_size), f)


def _add_tree(tar: tarfile.TarFile, prefix: str, root: str) -> None:
    tar.addfile(_info(prefix, tarfile.DIRTYPE, 0o755))
    real_root = os.path.realpath(root)
    for rel, entry in walk(root):
        name = f"{prefix}/{rel}"
        if entry.is_symlink():
            target = os.readlink(entry.path)
            resolved = os.path.realpath(entry.path)
            inside = resolved == real_root or resolved.startswith(real_root + os.sep)
            if inside and not os.path.isabs(target):
                tar.addfile(_info(name, tarfile.SYMTYPE, 0o777, linkname=target))
            elif os.path.isfile(entry.path):
                _add_file(tar, name, entry.path)
            continue
        if entry.is_dir(follow_symlinks=False):
            tar.addfile(_info(name, tarfile.DIRTYPE, stat.S_IMODE(entry.stat().st_mode)))
        elif entry.is_file(follow_symlinks=False):
            _add_file(tar, name, entry.path)


def _sources(dag: Any) -> list[str]:
    found: list[str] = []
    for task in getattr(dag, "tasks", [dag]):
        workdir = getattr(task, "workdir", None)
        if isinstance(workdir, str):
            found.append(workdir)
        for src in (getattr(task, "file_mounts", None) or {}).values():
            if isinstance(src, str) and not _URL_RE.match(src):
                found.append(src)
    return sorted(set(found))


def build_archive(sources: list[str], out: BinaryIO) -> dict[str, str]:
    """Write the deterministic archive of ``sources`` to ``out``; returns the path mapping."""
    expanded = {src: os.path.abspath(os.path.expanduser(src)) for src in sources}
    slots = {path: f"files/{i}" for i, path in enumerate(sorted(set(expanded.values())))}
    mapping: dict[str, str] = {}
    for src, path in expanded.items():
        if not os.path.exists(path):
            raise errors.TaskValidationError(f"The local path {src} does not exist.")
        rel = slots[path] if os.path.isdir(path) else f"{slots[path]}/{os.path.basename(path)}"
        mapping[src] = mapping[path] = rel
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = json.dumps({"version": 1, "paths": mapping}, sort_keys=True, indent=1).encode()
        tar.addfile(_info(MANIFEST, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
        tar.addfile(_info("files", tarfile.DIRTYPE, 0o755))
        for path, slot in sorted(slots.items(), key=lambda kv: kv[1]):
            if os.path.isdir(path):
                _add_tree(tar, slot, path)
            else:
                tar.addfile(_info(slot, tarfile.DIRTYPE, 0o755))
                _add_file(tar, f"{slot}/{os.path.basename(path)}", path)
    return mapping


# ----------------------------------------------------------------------------- upload
@dataclasses.dataclass
class UploadResult:
    upload_id: str
    content_hash: str
    total_chunks: int
    #: chunk indexes this call sent (empty when the server already had everything)
    sent: list[int]
    complete: bool


def default_chunk_bytes() -> int:
    value = os.environ.get("SKY_UPLOAD_CHUNK_BYTES")
    return int(value) if value else DEFAULT_CHUNK_BYTES


def _post_chunk(ep: endpoint_lib.Endpoint, params: dict[str, Any], data: bytes,
                timeout: float) -> dict[str, Any]:
    """One raw-body POST (``rest`` sends JSON bodies only), with retries on transient errors.

    4xx answers are final (a refused or malformed upload does not get better by repeating);
    connection errors and 5xx are retried with exponential backoff.
    """
    hdrs = rest.headers(ep)
    hdrs["Content-Type"] = "application/octet-stream"
    url = f"{ep.base_path}/upload?{urlencode(params)}"
    cls = http.client.HTTPSConnection if ep.scheme == "https" else http.client.HTTPConnection
    last = ""
    for attempt in range(RETRIES):
        if attempt:
            time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
        conn = cls(ep.host, ep.port, timeout=timeout)
        try:
            conn.request("POST", url, body=data, headers=hdrs)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}"
            continue
        finally:
            conn.close()
        if response.status < 400:
            return json.loads(body)
        if response.status < 500:
            rest.raise_for_status(response.status, body, ep)  # raises
        last = f"HTTP {response.status}: {body[:200].decode(errors='replace')}"
    raise errors.ApiServerError(f"Uploading chunk {params['chunk_index']} to {ep.url} failed "
                                f"after {RETRIES} attempts ({last}). Run the command again: "
                                "the upload resumes where it stopped.")


def sha256_file(path: str | Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def upload_archive(path: str | Path, *, chunk_bytes: int | None = None,
                   stop_after: int | None = None, ep: endpoint_lib.Endpoint | None = None,
                   timeout: float = 300.0) -> UploadResult:
    """Upload the archive at ``path``, sending only the chunks the server lacks.

    ``stop_after`` sends at most that many chunks and returns (tests interrupt uploads so).
    """
    ep = ep or endpoint_lib.current()
    chunk_bytes = chunk_bytes or default_chunk_bytes()
    if chunk_bytes <= 0:
        raise ValueError("chunk_bytes must be positive")
    size = os.path.getsize(path)
    total = max(1, -(-size // chunk_bytes))
    content_hash = sha256_file(path)
    state = rest.request_json("GET", "/upload/status", params={"content_hash": content_hash},
                              ep=ep)
    upload_id = state["upload_id"]
    if state["complete"]:
        return UploadResult(upload_id, content_hash, total, [], True)
    have = set(state["received"]) if state.get("total_chunks") == total else set()
    sent: list[int] = []
    complete = False
    with open(path, "rb") as f:
        for index in range(total):
            if index in have:
                continue
            if stop_after is not None and len(sent) >= stop_after:
                break
            f.seek(index * chunk_bytes)
            answer = _post_chunk(ep, {"upload_id": upload_id, "content_hash": content_hash,
                                      "chunk_index": index, "total_chunks": total},
                                 f.read(chunk_bytes), timeout)
            sent.append(index)
            complete = bool(answer.get("complete"))
    if not sent and not complete:  # every chunk was there but the upload never completed
        complete = bool(rest.request_json("GET", "/upload/status",
                                          params={"content_hash": content_hash},
                                          ep=ep)["complete"])
    return UploadResult(upload_id, content_hash, total, sent, complete)


def upload_task_files(dag: Any, *, chunk_bytes: int | None = None,
                      ep: endpoint_lib.Endpoint | None = None) -> str | None:
    """Upload the local sources of every task in ``dag``; the ``upload_id`` for the request
    body, or None when the tasks reference no local file."""
    sources = _sources(dag)
    if not sources:
        return None
    tmp = tempfile.mkdtemp(prefix="sky-upload-")
    try:
        archive = os.path.join(tmp, "upload.tar.gz")
        with open(archive, "wb") as out:
            build_archive(sources, out)
        result = upload_archive(archive, chunk_bytes=chunk_bytes, ep=ep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not result.complete:
        raise errors.ApiServerError("The upload of the task's files did not complete; run the "
                                    "command again to resume it.")
    return result.upload_id
