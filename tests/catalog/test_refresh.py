"""Online refresh against a real HTTP server on 127.0.0.1 (no mocks): download, freshness,
local-edit protection, fallback to the offline snapshot."""

from __future__ import annotations

import http.server
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skycore.catalog import query, refresh
from skycore.interfaces.cloud import Cloud
from skycore.plugins import (
    CatalogSpec,
    CloudSpec,
    PluginManager,
    hookimpl,
    install_manager_for_tests,
)

HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region\n"
CLOUD = "refreshy"


class _Server:
    """Serves ``body`` at /vms.csv and counts the requests."""

    def __init__(self) -> None:
        self.body = HEADER + "online-1,,,2,8,0.10,r1\n"
        self.hits = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner.hits += 1
                data = owner.body.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/vms.csv"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SKY_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _install(url: str, snapshot: Path, ttl_hours: float | None) -> None:
    class RefreshCloud(Cloud):
        name = CLOUD

    plugin = types.SimpleNamespace(
        skycore_clouds=hookimpl(lambda: [CloudSpec(name=CLOUD, factory=RefreshCloud)]),
        skycore_catalogs=hookimpl(lambda: [CatalogSpec(cloud=CLOUD, mode="online",
                                                       vms_csv=str(snapshot), fetcher=url,
                                                       ttl_hours=ttl_hours)]))
    install_manager_for_tests(PluginManager(extra_modules=[(CLOUD, plugin)],
                                            load_entry_points=False))
    query.clear_cache()


@pytest.fixture
def snapshot(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "snapshot.csv"
    path.write_text(HEADER + "offline-1,,,2,8,0.50,r1\n")
    yield path
    install_manager_for_tests(None)
    query.clear_cache()


def _types() -> list[str]:
    query.clear_cache()
    return query.table(CLOUD).instance_types()


def test_download_keep_fresh_then_refresh_after_ttl(server: _Server, home: Path,
                                                   snapshot: Path) -> None:
    _install(server.url, snapshot, ttl_hours=1)
    assert _types() == ["online-1"] and server.hits == 1
    copy = home / "catalogs" / "v8" / CLOUD / "vms.csv"
    meta = copy.parent / ".meta"
    assert copy.read_text() == server.body
    assert (meta / "vms.csv.md5").read_text() == refresh._md5(copy)
    assert refresh.age_hours(CLOUD) < 0.1

    server.body = HEADER + "online-2,,,2,8,0.10,r1\n"
    assert _types() == ["online-1"] and server.hits == 1  # still fresh: no download

    (meta / "vms.csv.stamp").write_text(repr(time.time() - 2 * 3600))
    assert _types() == ["online-2"] and server.hits == 2  # older than the ttl: refreshed


def test_locally_edited_copy_is_never_overwritten(server: _Server, home: Path,
                                                  snapshot: Path) -> None:
    _install(server.url, snapshot, ttl_hours=0)  # always stale
    assert _types() == ["online-1"]
    copy = home / "catalogs" / "v8" / CLOUD / "vms.csv"
    copy.write_text(HEADER + "my-own,,,2,8,0.01,r1\n")
    assert refresh.is_locally_edited(CLOUD)
    hits = server.hits
    assert _types() == ["my-own"]
    assert server.hits == hits and "my-own" in copy.read_text()


def test_unreachable_source_falls_back_to_copy_or_snapshot(server: _Server, home: Path,
                                                           snapshot: Path) -> None:
    url = server.url
    server.close()  # nothing listens there any more
    _install(url, snapshot, ttl_hours=0)
    assert _types() == ["offline-1"]  # no copy yet: the plugin's offline snapshot
    assert not (home / "catalogs" / "v8" / CLOUD / "vms.csv").exists()


def test_a_non_csv_answer_does_not_replace_the_catalog(server: _Server, home: Path,
                                                       snapshot: Path) -> None:
    server.body = "<html>rate limited</html>"
    _install(server.url, snapshot, ttl_hours=0)
    assert _types() == ["offline-1"]
