"""Uploads of a task's workdir and file mounts to a server that requires auth (SQLite and
PostgreSQL): .gitignore honoured, deterministic archive, resumable chunks, content-addressed
reuse, per-user isolation, path rewriting, and unsafe archives refused."""

from __future__ import annotations

import filecmp
import gzip
import io
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from _auth_fixtures import PASSWORDS, basic, call
from _auth_fixtures import auth_server as _start

from skycore import errors
from skycore.client import endpoint as endpoint_lib
from skycore.client import upload
from skycore.testing.api_server import ApiServer


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Iterator[ApiServer]:
    yield from _start(request)


def _ep(server: ApiServer, user: str = "alice") -> endpoint_lib.Endpoint:
    return endpoint_lib.parse(f"http://{user}:{PASSWORDS[user]}@{server.host}:{server.port}")


def _tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


@pytest.fixture
def task_files(tmp_path: Path) -> dict[str, Path]:
    workdir = _tree(tmp_path / "wd", {
        ".gitignore": "*.log\nbuild/\n!keep.log\n/top-only.txt\n",
        "train.py": "print('hi')\n",
        "keep.log": "kept by negation\n",
        "debug.log": "ignored\n",
        "top-only.txt": "ignored at the top\n",
        "build/out.bin": "ignored dir\n",
        "src/top-only.txt": "kept: the pattern is anchored\n",
        "src/.gitignore": "secret.txt\n",
        "src/secret.txt": "ignored by the nested .gitignore\n",
        "src/model.py": "x = 1\n",
        "data/blob.bin": os.urandom(40_000),  # several small chunks
    })
    os.symlink("src/model.py", workdir / "link.py")
    (workdir / "train.py").chmod(0o755)
    mount_dir = _tree(tmp_path / "mnt", {"a.txt": "a\n", "sub/b.txt": "b\n"})
    mount_file = _tree(tmp_path / "single", {"config.yaml": "k: v\n"}) / "config.yaml"
    return {"workdir": workdir, "mount_dir": mount_dir, "mount_file": mount_file}


def _dag(files: dict[str, Path]) -> object:
    from skycore import task as task_lib

    task = task_lib.Task(run="python train.py", workdir=str(files["workdir"]),
                         file_mounts={"/data": str(files["mount_dir"]),
                                      "~/config.yaml": str(files["mount_file"]),
                                      "/remote": "s3://bucket/prefix"})
    task.validate_local_paths()
    return task_lib.Dag(name=None, tasks=[task])


def _archive(files: dict[str, Path], dest: Path) -> Path:
    with open(dest, "wb") as out:
        upload.build_archive(upload._sources(_dag(files)), out)
    return dest


# ----------------------------------------------------------------------------- unit
def test_gitignore_walk_matches_git_rules(task_files: dict[str, Path]) -> None:
    names = {rel for rel, _ in upload.walk(str(task_files["workdir"]))}
    assert names == {".gitignore", "train.py", "keep.log", "src", "src/top-only.txt",
                     "src/.gitignore", "src/model.py", "data", "data/blob.bin", "link.py"}


def test_archive_is_deterministic(task_files: dict[str, Path], tmp_path: Path) -> None:
    first = _archive(task_files, tmp_path / "1.tar.gz").read_bytes()
    os.utime(task_files["workdir"] / "train.py", (1, 1))  # timestamps do not matter
    second = _archive(task_files, tmp_path / "2.tar.gz").read_bytes()
    assert first == second
    (task_files["workdir"] / "train.py").write_text("print('changed')\n")
    assert _archive(task_files, tmp_path / "3.tar.gz").read_bytes() != first


def test_no_local_files_means_no_upload() -> None:
    from skycore import task as task_lib

    dag = task_lib.Dag(name=None, tasks=[task_lib.Task(run="echo hi")])
    assert upload.upload_task_files(dag, ep=endpoint_lib.parse("http://127.0.0.1:9")) is None


# ----------------------------------------------------------------------------- server
def test_resumable_content_addressed_upload(server: ApiServer, task_files: dict[str, Path],
                                            tmp_path: Path) -> None:
    archive = _archive(task_files, tmp_path / "a.tar.gz")
    chunk = 8192
    total = -(-archive.stat().st_size // chunk)
    assert total >= 4
    ep = _ep(server)
    first = upload.upload_archive(archive, chunk_bytes=chunk, stop_after=2, ep=ep)
    assert first.sent == [0, 1] and not first.complete
    status, _, state = call(server, "GET", f"/upload/status?content_hash={first.content_hash}",
                            auth=basic("alice"))
    assert status == 200 and state["received"] == [0, 1] and not state["complete"]
    # the resumed upload sends only the rest
    second = upload.upload_archive(archive, chunk_bytes=chunk, ep=ep)
    assert second.sent == list(range(2, total)) and second.complete
    assert second.upload_id == first.upload_id
    # the same content again: nothing is sent, whatever the chunk size
    assert upload.upload_archive(archive, chunk_bytes=chunk, ep=ep).sent == []
    assert upload.upload_task_files(_dag(task_files), ep=ep) == first.upload_id

    root = (server.sky_home / "api_server" / "uploads" / "alice" / first.content_hash
            / "files")
    assert not (root.parent / "chunks").exists()
    manifest = (root / "manifest.json").read_text()
    assert str(task_files["workdir"]) in manifest
    extracted = _extracted(root, str(task_files["workdir"]))
    expected = {rel for rel, _ in upload.walk(str(task_files["workdir"]))}
    found = {str(p.relative_to(extracted)) for p in extracted.rglob("*")}
    assert found == expected
    for rel in expected:
        src, dst = task_files["workdir"] / rel, extracted / rel
        if src.is_symlink():
            assert os.readlink(dst) == os.readlink(src)
        elif src.is_file():
            assert filecmp.cmp(src, dst, shallow=False), rel
    assert os.access(extracted / "train.py", os.X_OK)
    assert (extracted / "train.py").stat().st_mtime > 1e9  # not the archive's zero mtime

    # another user neither sees nor can write alice's upload
    status, _, bobs = call(server, "GET", f"/upload/status?content_hash={first.content_hash}",
                           auth=basic("bob"))
    assert bobs["upload_id"] != first.upload_id and not bobs["complete"]
    with pytest.raises(errors.ApiServerError, match="upload_id"):
        upload._post_chunk(_ep(server, "bob"), {
            "upload_id": first.upload_id, "content_hash": first.content_hash,
            "chunk_index": 0, "total_chunks": 1}, b"x", 30)
    assert call(server, "GET", f"/upload/status?content_hash={first.content_hash}")[0] == 401
    # a launch body naming alice's upload is refused for bob (uploads.check_access)
    from skycore.server import uploads

    engine = server.engine  # type: ignore[attr-defined]
    uploads.check_access(engine, first.upload_id, "alice")
    with pytest.raises(uploads.UploadError):
        uploads.check_access(engine, first.upload_id, "bob")


def _extracted(root: Path, original: str) -> Path:
    import json

    rel = json.loads((root / "manifest.json").read_text())["paths"][original]
    return root / rel


def test_task_paths_are_rewritten_to_the_upload(server: ApiServer, task_files: dict[str, Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from skycore.server import ops
    from skycore.state import engine as engine_lib

    dag = _dag(task_files)
    upload_id = upload.upload_task_files(dag, chunk_bytes=16384, ep=_ep(server))
    assert upload_id is not None
    docs = dag.to_yaml_documents(redact_secrets=False)  # type: ignore[attr-defined]
    monkeypatch.setenv("SKY_DB", server.db_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("SKY_HOME", str(server.sky_home))
    engine_lib.reset_engines()
    try:
        rewritten = ops._dag({"task": docs, "upload_id": upload_id}).tasks[0]
    finally:
        engine_lib.reset_engines()
    uploads_root = str(server.sky_home / "api_server" / "uploads" / "alice")
    assert rewritten.workdir.startswith(uploads_root)
    assert filecmp.cmp(Path(rewritten.workdir) / "src" / "model.py",
                       task_files["workdir"] / "src" / "model.py", shallow=False)
    assert not (Path(rewritten.workdir) / "debug.log").exists()
    mounts = rewritten.file_mounts
    assert mounts["/remote"] == "s3://bucket/prefix"
    assert (Path(mounts["/data"]) / "sub" / "b.txt").read_text() == "b\n"
    config = [v for k, v in mounts.items() if k.endswith("config.yaml")][0]
    assert config.startswith(uploads_root) and Path(config).read_text() == "k: v\n"
    rewritten.validate_local_paths()  # the server-side copies exist


def _evil_archive(member: tarfile.TarInfo, data: bytes = b"pwned\n") -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        manifest = b'{"version": 1, "paths": {}}'
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return buf.getvalue()


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


@pytest.mark.parametrize("member", [
    tarfile.TarInfo("../x"), tarfile.TarInfo("files/../../x"), tarfile.TarInfo("/tmp/x"),
    _symlink("files/evil", "../../../.."), _symlink("files/abs", "/etc")],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink-out", "symlink-abs"])
def test_unsafe_archive_is_refused(server: ApiServer, tmp_path: Path,
                                   member: tarfile.TarInfo) -> None:
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_evil_archive(member))
    with pytest.raises(errors.ApiServerError, match="Refusing"):
        upload.upload_archive(archive, ep=_ep(server))
    user_dir = server.sky_home / "api_server" / "uploads" / "alice"
    assert not (user_dir / "x").exists() and not (user_dir.parent / "x").exists()
    content_hash = upload.sha256_file(archive)
    assert not (user_dir / content_hash).exists()
    status, _, state = call(server, "GET", f"/upload/status?content_hash={content_hash}",
                            auth=basic("alice"))
    assert not state["complete"] and state["total_chunks"] is None


def test_corrupted_chunks_are_refused(server: ApiServer) -> None:
    content_hash = "0" * 64
    status, _, state = call(server, "GET", f"/upload/status?content_hash={content_hash}",
                            auth=basic("alice"))
    with pytest.raises(errors.ApiServerError, match="do not add up"):
        upload._post_chunk(_ep(server), {"upload_id": state["upload_id"],
                                         "content_hash": content_hash,
                                         "chunk_index": 0, "total_chunks": 1}, b"data", 30)
    assert call(server, "GET", "/upload/status?content_hash=nothex",
                auth=basic("alice"))[0] == 400


@pytest.mark.integration
def test_launch_on_a_remote_server_uses_the_uploaded_files(
        server: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path: the SDK sees a remote endpoint, uploads, and the job reads the files."""
    import uuid

    from skycore import task as task_lib
    from skycore.client import rest, sdk

    workdir = _tree(tmp_path / "wd", {".gitignore": "*.log\n", "hello.txt": "hello upload\n",
                                      "debug.log": "must not travel\n"})
    mount = _tree(tmp_path / "m", {"config.yaml": "mounted: yes\n"}) / "config.yaml"
    task = task_lib.Task(run="cat hello.txt; test -e debug.log || echo LOG-ABSENT; "
                             "cat ~/config.yaml", workdir=str(workdir),
                         file_mounts={"~/config.yaml": str(mount)})
    monkeypatch.setattr(endpoint_lib.Endpoint, "is_local", property(lambda self: False))
    real_upload = upload.upload_task_files

    def upload_then_delete(dag: object, **kwargs: object) -> str | None:
        upload_id = real_upload(dag, **kwargs)  # type: ignore[arg-type]
        shutil.rmtree(workdir)  # from here on only the server's copy exists
        mount.unlink()
        return upload_id

    monkeypatch.setattr(upload, "upload_task_files", upload_then_delete)
    monkeypatch.setenv("SKY_API_SERVER_ENDPOINT", _ep(server).url.replace(
        "http://", f"http://alice:{PASSWORDS['alice']}@"))
    rest.close()
    name = f"upl-{uuid.uuid4().hex[:6]}"
    out = io.BytesIO()
    try:
        result = sdk.stream_and_get(sdk.launch(task, name), output=out)
        assert result["exit_code"] == 0, out.getvalue().decode(errors="replace")
        text = out.getvalue().decode(errors="replace")
        assert "hello upload" in text and "LOG-ABSENT" in text and "mounted: yes" in text
    finally:
        sdk.get(sdk.down(name))
        rest.close()
