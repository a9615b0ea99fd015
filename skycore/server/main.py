"""``python -m skycore.server``: start the API server (uvicorn) in the foreground.

Start-up order matters for the cold-start target (first answer within ~2 s of the client's
auto-start): the database is migrated and orphaned requests are failed first (one query when
the schema is current), then the HTTP socket opens at once while the workers' fork server
imports the engine in the background; the first request waits only for its worker.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

ORPHAN_REASON = ("The API server stopped (it was killed or restarted) while this request was "
                 "pending or running; it did not finish. Check the cluster with "
                 "`sky status -r` and retry.")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def server_dir() -> Path:
    from skycore import paths

    return paths.sub_dir("api_server")


def pid_file() -> Path:
    return server_dir() / "server.json"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m skycore.server",
                                     description="Run the skycore API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=46580)
    parser.add_argument("--deploy", action="store_true",
                        help="Size the worker pools for a shared, multi-user server.")
    parser.add_argument("--auth", action="store_true",
                        help="Require credentials even from loopback clients (default: only "
                             "when bound to a non-loopback address).")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    import uvicorn

    from skycore.server import app as app_module
    from skycore.server import requests_store
    from skycore.server.executor import Executor, default_sizes
    from skycore.state.engine import get_engine
    from skycore.utils import atomic

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("skycore.server")
    engine = get_engine()
    from skycore.server import users

    users.bootstrap_from_env(engine)  # SKY_INITIAL_BASIC_AUTH=user:pass: the first admin
    orphans = requests_store.fail_orphans(engine, ORPHAN_REASON)
    if orphans:
        log.warning("marked %d orphaned request(s) FAILED: %s", len(orphans),
                    ", ".join(orphans))
    logs_dir = server_dir() / "requests"
    logs_dir.mkdir(parents=True, exist_ok=True)
    executor = Executor(engine, default_sizes(deploy=args.deploy))
    auth_required = args.auth or not is_loopback(args.host)
    state = app_module.ServerState(engine=engine, executor=executor, logs_dir=logs_dir,
                                   server_log=server_dir() / "server.log",
                                   auth_required=auth_required,
                                   trust_loopback=not args.auth)

    @contextlib.asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        await executor.start()
        info = {"pid": os.getpid(), "host": args.host, "port": args.port}
        atomic.write_text(pid_file(), json.dumps(info))
        log.info("skycore API server listening on http://%s:%d (auth %s)", args.host,
                 args.port, "required" if auth_required else "off (loopback)")
        try:
            yield
        finally:
            await executor.shutdown()
            with contextlib.suppress(OSError):
                if json.loads(pid_file().read_text()).get("pid") == os.getpid():
                    pid_file().unlink()

    application = app_module.create_app(state, lifespan=lifespan)
    config = uvicorn.Config(application, host=args.host, port=args.port, log_level="warning",
                            access_log=False, lifespan="on",
                            loop="uvloop" if _has("uvloop") else "asyncio",
                            http="httptools" if _has("httptools") else "h11",
                            timeout_keep_alive=60)
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(1)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
