"""A real, throw-away PostgreSQL server for tests (``initdb`` + ``pg_ctl`` in a temp dir).

Why a real server and not a mock: the state layer's PostgreSQL paths (advisory locks, transactional
DDL, the psycopg driver, connection loss when a process dies) only show their bugs on the real
thing, and a private server starts in about a second.

The server listens on a free loopback port only, keeps its socket inside its own directory (never
``/var/run/postgresql``), runs with fsync off (tests need speed, not durability) and trusts every
local connection. It never touches the system's default ``main`` cluster. Under root the binaries
run as the ``postgres`` user (PostgreSQL refuses to run as root); otherwise as the current user.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = ("Install PostgreSQL's server binaries (Debian/Ubuntu: `apt-get install -y "
                "postgresql`); they are looked up under /usr/lib/postgresql/<version>/bin.")

_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL cannot be started here; the message says what to install or change."""


def find_bin_dir() -> Path:
    """The ``bin`` dir of the newest PostgreSQL installed under /usr/lib/postgresql."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    if not found:
        raise PostgresUnavailableError(f"No PostgreSQL server binaries found. {INSTALL_HINT}")
    return Path(max(found, key=version)).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One private PostgreSQL server: ``start()``, ``url``, ``create_database()``, ``stop()``.

    Usable as a context manager. ``stop()`` is idempotent and also runs at interpreter exit, so a
    crashed test session does not leave a postmaster behind.
    """

    def __init__(self, *, port: int | None = None, base_dir: str | None = None) -> None:
        self._requested_port = port
        self._base_dir = base_dir
        self.port = 0
        self.dir: Path | None = None
        self._bin: Path | None = None
        self._run_as: str | None = None
        self._started = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PostgresServer:
        self._bin = find_bin_dir()
        self._run_as = self._pick_user()
        self.dir = Path(tempfile.mkdtemp(prefix="skycore-pg-", dir=self._base_dir))
        try:
            self._prepare_dir()
            self._run([self._tool("initdb"), "-D", str(self.data_dir), "-U", "postgres",
                       "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
            self._start_postmaster()
        except BaseException:
            self._cleanup_dir()
            raise
        self._started = True
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stop the server (pg_ctl fast shutdown; SIGKILL of the postmaster if that fails) and
        remove its directory."""
        if self.dir is None:
            return
        if self._started:
            try:
                self._run([self._tool("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w",
                           "-t", "20", "stop"], timeout=30)
            except (subprocess.SubprocessError, OSError):
                self._kill_postmaster()
            self._started = False
        atexit.unregister(self.stop)
        self._cleanup_dir()

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ use
    @property
    def data_dir(self) -> Path:
        assert self.dir is not None, "server not started"
        return self.dir / "data"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default ``postgres`` database."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """Create an empty database (one per test keeps tests independent); returns its URL."""
        self._admin_sql(f'CREATE DATABASE "{_checked_name(name)}"')
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database even if stray connections are left (``WITH (FORCE)``)."""
        self._admin_sql(f'DROP DATABASE IF EXISTS "{_checked_name(name)}" WITH (FORCE)')

    # ------------------------------------------------------------------ internals
    def _pick_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailableError(
                f"Running as root but there is no 'postgres' user to run the server as. "
                f"{INSTALL_HINT}") from None
        if shutil.which("runuser") is None:
            raise PostgresUnavailableError("Running as root needs `runuser` (util-linux).")
        return "postgres"

    def _prepare_dir(self) -> None:
        assert self.dir is not None
        if self._run_as:
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        os.chmod(self.dir, 0o700)

    def _start_postmaster(self) -> None:
        last = ""
        for attempt in range(3):
            self.port = self._requested_port or free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            try:
                self._run([self._tool("pg_ctl"), "-D", str(self.data_dir), "-l",
                           str(self.dir / "server.log"), "-w", "-t", "30", "-o", opts, "start"],
                          timeout=60)
                return
            except subprocess.CalledProcessError as exc:
                last = f"{exc.stdout or ''}{exc.stderr or ''}{self._log_tail()}"
                self._kill_postmaster()  # a half-started server must not linger
                if self._requested_port or attempt == 2:
                    break
        raise PostgresUnavailableError(f"PostgreSQL did not start:\n{last}")

    def _tool(self, name: str) -> str:
        assert self._bin is not None
        return str(self._bin / name)

    def _run(self, argv: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        if self._run_as:
            argv = ["runuser", "-u", self._run_as, "--", *argv]
        # cwd "/": the postgres user cannot read root's working directory
        return subprocess.run(argv, cwd="/", check=True, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _kill_postmaster(self) -> None:
        pid = self._postmaster_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)  # only the postmaster we started (its pid file is ours)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)

    def _log_tail(self) -> str:
        try:
            return (self.dir / "server.log").read_text()[-2000:] if self.dir else ""
        except OSError:
            return ""

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # name checked by _checked_name

    def _cleanup_dir(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def _checked_name(name: str) -> str:
    if not _DB_NAME.match(name):
        raise ValueError(f"Invalid database name {name!r} (lowercase letters, digits, '_').")
    return name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False
