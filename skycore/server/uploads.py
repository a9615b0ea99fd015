"""Chunked, content-addressed, resumable uploads of a remote client's workdir and file mounts.

The client (:mod:`skycore.client.upload`) packs every local source of a task into one
deterministic ``tar.gz`` whose sha256 is its *content hash*, then:

1. ``GET /upload/status?content_hash=`` → the upload id and the chunks the server already has
   (all of them when this user uploaded the same content before: nothing is sent again);
2. ``POST /upload?upload_id=&chunk_index=&total_chunks=&content_hash=`` with each missing chunk
   as the raw body. A chunk is written atomically, so an interrupted upload resumes where it
   stopped.

When the last chunk arrives the server joins the chunks, checks the sha256, and extracts the
archive under ``SKY_HOME/api_server/uploads/<user>/<content_hash>/files``. Extraction refuses
absolute names, ``..`` components, links that leave the tree, hard links and device files
*before* writing anything, then extracts with tarfile's ``data`` filter as a second guard.
Extracted files get the current time as mtime (the archive stores 0 for determinism) so rsync's
size+mtime quick check never mistakes new content for the copy already on a cluster.

The archive's ``manifest.json`` maps each original client path to its place in the archive;
:func:`rewrite_task_paths` (called by the worker for a body carrying ``upload_id``) points the
task's workdir and file mount sources at the extracted copies.

Uploads are per user (``upload_id`` is derived from user and content hash), so one user can
neither probe for nor read another's files. No ``from __future__ import annotations``: the route
functions are defined inside :func:`register` (fastapi is imported only there, so a worker that
merely rewrites paths does not load it) and FastAPI reads their parameter types at definition.
"""

import asyncio
import hashlib
import json
import os
import posixpath
import re
import shutil
import tarfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from skycore import errors
from skycore.state import models

_T = models.uploads
MANIFEST = "manifest.json"  # the same name in skycore.client.upload
MAX_CHUNK_BYTES = int(os.environ.get("SKYCORE_UPLOAD_MAX_CHUNK_BYTES", str(256 * 2**20)))
MAX_CHUNKS = 100_000
#: the extracted size an archive may claim (a gzip bomb must not fill the server's disk)
MAX_EXTRACTED_BYTES = int(os.environ.get("SKYCORE_UPLOAD_MAX_BYTES", str(64 * 2**30)))
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_SAFE_DIR = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class UploadError(ValueError):
    """The upload is malformed or its archive is unsafe; the message says why (HTTP 400)."""


def uploads_root() -> Path:
    from skycore import paths

    return paths.sub_dir("api_server", "uploads")


def upload_id_for(user_id: str, content_hash: str) -> str:
    """Deterministic per (user, content): the same content by the same user is one upload."""
    return "up-" + hashlib.sha256(f"{user_id}\0{content_hash}".encode()).hexdigest()[:40]


def _user_dir(user_id: str) -> str:
    if _SAFE_DIR.match(user_id) and user_id not in (".", ".."):
        return user_id
    return "u-" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


def upload_dir(user_id: str, content_hash: str) -> Path:
    return uploads_root() / _user_dir(user_id) / content_hash


def _lock(upload_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(upload_id, threading.Lock())


def _check_hash(content_hash: str) -> str:
    if not _HASH_RE.match(content_hash or ""):
        raise UploadError("content_hash must be 64 lowercase hex digits (a sha256).")
    return content_hash


def _row(engine: Engine, upload_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(_T).where(_T.c.upload_id == upload_id)).first()


def _received_on_disk(chunks: Path, total: int) -> list[int]:
    if not chunks.is_dir():
        return []
    found = []
    for name in os.listdir(chunks):
        if name.isdigit() and int(name) < total:
            found.append(int(name))
    return sorted(found)


def _complete(row: Any) -> bool:
    return bool(row is not None and row.completed_at is not None and row.path
                and os.path.isdir(row.path))


def status(engine: Engine, user_id: str, content_hash: str) -> dict[str, Any]:
    """What the server holds of this content for this user (``GET /upload/status``)."""
    _check_hash(content_hash)
    upload_id = upload_id_for(user_id, content_hash)
    row = _row(engine, upload_id)
    if row is None:
        return {"upload_id": upload_id, "complete": False, "total_chunks": None,
                "received": []}
    if _complete(row):
        return {"upload_id": upload_id, "complete": True, "total_chunks": row.total_chunks,
                "received": list(range(row.total_chunks))}
    chunks = upload_dir(user_id, content_hash) / "chunks"
    return {"upload_id": upload_id, "complete": False, "total_chunks": row.total_chunks,
            "received": _received_on_disk(chunks, row.total_chunks)}


def store_chunk(engine: Engine, user_id: str, *, upload_id: str, content_hash: str,
                chunk_index: int, total_chunks: int, data: bytes) -> dict[str, Any]:
    """Keep one chunk; when it was the last, assemble, verify and extract (blocking: run it
    in a thread)."""
    _check_hash(content_hash)
    if upload_id != upload_id_for(user_id, content_hash):
        raise UploadError("upload_id does not belong to this user and content_hash; ask "
                          "GET /upload/status for it.")
    if not 1 <= total_chunks <= MAX_CHUNKS or not 0 <= chunk_index < total_chunks:
        raise UploadError(f"chunk_index {chunk_index} / total_chunks {total_chunks} out of "
                          "range.")
    base = upload_dir(user_id, content_hash)
    chunks = base / "chunks"
    with _lock(upload_id):
        row = _row(engine, upload_id)
        if _complete(row):
            return status(engine, user_id, content_hash)
        now = time.time()
        with engine.begin() as conn:
            if row is None:
                conn.execute(insert(_T).values(
                    upload_id=upload_id, user_id=user_id, content_hash=content_hash,
                    total_chunks=total_chunks, received="[]", created_at=now))
            elif row.total_chunks != total_chunks or row.completed_at is not None:
                # another chunk size, or a completed copy that vanished: start over
                shutil.rmtree(base, ignore_errors=True)
                conn.execute(update(_T).where(_T.c.upload_id == upload_id).values(
                    total_chunks=total_chunks, received="[]", completed_at=None, path=None))
        chunks.mkdir(parents=True, exist_ok=True)
        tmp = chunks / f".{chunk_index}.{uuid.uuid4().hex}"
        tmp.write_bytes(data)
        os.replace(tmp, chunks / str(chunk_index))
        received = _received_on_disk(chunks, total_chunks)
        values: dict[str, Any] = {"received": json.dumps(received)}
        if len(received) == total_chunks:
            try:
                values["path"] = str(_assemble(base, content_hash, total_chunks))
            except UploadError:
                shutil.rmtree(base, ignore_errors=True)
                with engine.begin() as conn:
                    conn.execute(delete(_T).where(_T.c.upload_id == upload_id))
                raise
            values["completed_at"] = time.time()
        with engine.begin() as conn:
            conn.execute(update(_T).where(_T.c.upload_id == upload_id).values(**values))
    return status(engine, user_id, content_hash)


def _assemble(base: Path, content_hash: str, total: int) -> Path:
    chunks = base / "chunks"
    archive = base / "archive.tar.gz"
    digest = hashlib.sha256()
    with open(archive, "wb") as out:
        for index in range(total):
            with open(chunks / str(index), "rb") as part:
                while block := part.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != content_hash:
        raise UploadError("The uploaded chunks do not add up to content_hash "
                          f"{content_hash[:12]}… (corrupted in transit?); upload again.")
    staging = base / f"files.tmp-{uuid.uuid4().hex[:8]}"
    try:
        extract(archive, staging)
        target = base / "files"
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)
    shutil.rmtree(chunks, ignore_errors=True)
    return target


def _check_member(member: tarfile.TarInfo) -> None:
    name = member.name
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or ".." in parts or "\0" in name:
        raise UploadError(f"Refusing archive member {name!r}: names must be relative, "
                          "without '..'.")
    if member.issym():
        target = member.linkname
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        if target.startswith("/") or joined == ".." or joined.startswith("../"):
            raise UploadError(f"Refusing symlink {name!r} -> {target!r}: it leaves the "
                              "upload.")
    elif not (member.isfile() or member.isdir()):
        raise UploadError(f"Refusing archive member {name!r}: only files, directories and "
                          "symlinks inside the upload are accepted.")


def extract(archive: Path, dest: Path) -> None:
    """Check every member, then extract; nothing is written when one member is unsafe."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            total = 0
            for member in members:
                _check_member(member)
                total += member.size
            if total > MAX_EXTRACTED_BYTES:
                raise UploadError(f"The archive expands to {total} bytes, more than this "
                                  f"server accepts ({MAX_EXTRACTED_BYTES}).")
            dest.mkdir(parents=True)
            tar.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UploadError(f"Cannot extract the upload: {exc}") from None
    now = time.time()
    for root, dirs, files in os.walk(dest):
        for name in dirs + files:
            os.utime(os.path.join(root, name), (now, now), follow_symlinks=False)


# ----------------------------------------------------------------------------- tasks
def manifest(engine: Engine, upload_id: str) -> tuple[Path, dict[str, str]]:
    """The extracted root of a completed upload and its original→archive path mapping."""
    row = _row(engine, upload_id)
    if not _complete(row):
        raise errors.SkyError(f"Upload {upload_id} is unknown or incomplete on this API "
                              "server; the client uploads again on the next launch.")
    root = Path(row.path)
    data = json.loads((root / MANIFEST).read_text())
    return root, dict(data.get("paths", {}))


def rewrite_task_paths(task: Any, upload_id: str, engine: Engine | None = None) -> None:
    """Point ``task.workdir`` and its local file mount sources at the uploaded copies."""
    if engine is None:
        from skycore.state.engine import get_engine

        engine = get_engine()
    root, mapping = manifest(engine, upload_id)

    from skycore.task import is_cloud_url

    def local(path: str) -> str:
        rel = mapping.get(path)
        if rel is None:
            if is_cloud_url(path):
                return path
            raise errors.SkyError(f"{path} is not in upload {upload_id}: the client sent a "
                                  "task that does not match its upload; launch again.")
        resolved = posixpath.normpath(posixpath.join(str(root), rel))
        if not resolved.startswith(str(root) + "/"):
            raise errors.SkyError(f"Upload {upload_id}: bad manifest entry {rel!r}.")
        return resolved

    if isinstance(task.workdir, str):
        task.workdir = local(task.workdir)
    task.file_mounts = {dst: local(src) for dst, src in task.file_mounts.items()}
    unsubstituted = getattr(task, "_unsubstituted", None)
    if isinstance(unsubstituted, dict):  # re-substitution would bring client paths back
        unsubstituted.pop("workdir", None)
        unsubstituted.pop("file_mounts", None)


def check_access(engine: Engine, upload_id: str, user_id: str) -> None:
    """Raise unless ``upload_id`` is a completed upload of ``user_id`` (launch bodies)."""
    row = _row(engine, upload_id)
    if row is None or row.user_id != user_id or not _complete(row):
        raise UploadError(f"No completed upload {upload_id!r} of yours on this server.")


# ----------------------------------------------------------------------------- routes
def register(app: Any) -> None:
    from fastapi import HTTPException, Query, Request
    from pydantic import BaseModel

    from skycore.server.identity import current_user

    class UploadStatus(BaseModel):
        upload_id: str
        complete: bool
        total_chunks: int | None = None
        received: list[int]

    def engine_of(request: Request) -> Engine:
        return request.app.state.sky.engine

    def upload_status(request: Request, content_hash: str) -> dict[str, Any]:
        user = current_user(request)
        try:
            return status(engine_of(request), user.user_id, content_hash)
        except UploadError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None

    async def upload_chunk(request: Request, upload_id: str, content_hash: str,
                           chunk_index: int = Query(..., ge=0),
                           total_chunks: int = Query(..., ge=1)) -> dict[str, Any]:
        user = current_user(request)
        data = bytearray()
        async for block in request.stream():
            data += block
            if len(data) > MAX_CHUNK_BYTES:
                raise HTTPException(status_code=413, detail=f"A chunk may hold at most "
                                                            f"{MAX_CHUNK_BYTES} bytes.")
        try:
            return await asyncio.to_thread(
                store_chunk, engine_of(request), user.user_id, upload_id=upload_id,
                content_hash=content_hash, chunk_index=chunk_index,
                total_chunks=total_chunks, data=bytes(data))
        except UploadError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None

    app.add_api_route("/upload/status", upload_status, methods=["GET"], tags=["upload"],
                      response_model=UploadStatus,
                      summary="Which chunks of this content the server already holds.")
    app.add_api_route("/upload", upload_chunk, methods=["POST"], tags=["upload"],
                      response_model=UploadStatus,
                      summary="Send one chunk (raw body) of a content-addressed upload.",
                      openapi_extra={"requestBody": {"required": True, "content": {
                          "application/octet-stream": {"schema": {"type": "string",
                                                                  "format": "binary"}}}}})
