"""Autostop: the cluster stops (or tears itself down) when idle, decided on the head node.

Why on the node: the API server may be gone (a laptop closed) while the cluster burns money, so the
head checks idleness itself each daemon tick and runs the stop/down command skycore gave it. That
command kills this node's processes, the daemon included, so it is started fully detached.

State is one JSON row in jobs.db's `config` table, changed only inside BEGIN IMMEDIATE transactions:
`set-autostop`, `submit` (both reset the idle timer) and the daemon's tick run in different
processes.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from skylet import paths, procs
from skylet.job_table import JobTable

_KEY = "autostop"
WAIT_FOR = ("jobs", "none")


@dataclass
class AutostopConfig:
    idle_minutes: float = -1.0
    down: bool = False
    wait_for: str = "jobs"
    stop_command: str | None = None
    down_command: str | None = None
    last_active: float = field(default_factory=time.time)
    autostopping: bool = False

    @property
    def enabled(self) -> bool:
        return self.idle_minutes >= 0


def _load(table: JobTable, conn: Any = None) -> AutostopConfig:
    raw = table.get_config(_KEY, conn)
    if not raw:
        return AutostopConfig()
    known = {k: v for k, v in raw.items() if k in AutostopConfig.__dataclass_fields__}
    return AutostopConfig(**known)


def set_autostop(
    table: JobTable,
    *,
    idle_minutes: float,
    down: bool,
    wait_for: str,
    stop_command: str | None,
    down_command: str | None,
) -> AutostopConfig:
    """Store a new setting and reset the idle timer (a re-set also clears `autostopping`)."""
    if wait_for not in WAIT_FOR:
        raise ValueError(f"wait_for must be one of {WAIT_FOR}, got {wait_for!r}")
    with table.transaction() as conn:
        cfg = _load(table, conn)
        cfg.idle_minutes = float(idle_minutes)
        cfg.down = bool(down)
        cfg.wait_for = wait_for
        if stop_command is not None:
            cfg.stop_command = stop_command
        if down_command is not None:
            cfg.down_command = down_command
        cfg.last_active = time.time()
        cfg.autostopping = False
        table.set_config(_KEY, asdict(cfg), conn)
    return cfg


def touch(table: JobTable) -> None:
    """Reset the idle timer (every submit does: a new job is activity)."""
    with table.transaction() as conn:
        cfg = _load(table, conn)
        cfg.last_active = time.time()
        table.set_config(_KEY, asdict(cfg), conn)


def _is_idle(table: JobTable, cfg: AutostopConfig) -> bool:
    return cfg.wait_for == "none" or not table.has_nonterminal()


def status(table: JobTable) -> dict[str, Any]:
    cfg = _load(table)
    idle_seconds = max(0.0, time.time() - cfg.last_active) if _is_idle(table, cfg) else 0.0
    return {
        "idle_minutes": cfg.idle_minutes,
        "down": cfg.down,
        "autostopping": cfg.autostopping,
        "idle_seconds": idle_seconds,
    }


def on_daemon_start(table: JobTable) -> None:
    """A fresh daemon means a (re)started node: the idle timer restarts and a stale
    `autostopping` from before a stop/start cycle must not block the next autostop."""
    with table.transaction() as conn:
        cfg = _load(table, conn)
        cfg.last_active = time.time()
        cfg.autostopping = False
        table.set_config(_KEY, asdict(cfg), conn)


def check(table: JobTable, log: Any = print) -> bool:
    """One tick: refresh the idle timer, and fire the stop/down command once when due.

    Returns True when the command was started by this call.
    """
    now = time.time()
    with table.transaction() as conn:
        cfg = _load(table, conn)
        if not cfg.enabled or cfg.autostopping:
            return False
        if not _is_idle(table, cfg):
            cfg.last_active = now
            table.set_config(_KEY, asdict(cfg), conn)
            return False
        if now - cfg.last_active < cfg.idle_minutes * 60:
            return False
        command = cfg.down_command if cfg.down else cfg.stop_command
        if not command:
            log(f"autostop due but no {'down' if cfg.down else 'stop'} command is set")
            return False
        cfg.autostopping = True
        table.set_config(_KEY, asdict(cfg), conn)
    log(f"autostop: idle for {now - cfg.last_active:.1f}s, running {'down' if cfg.down else 'stop'}"
        f" command")
    with open(paths.autostop_log(), "ab") as fh:
        fh.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} autostop: {command}\n".encode())
    procs.spawn_detached(["/bin/bash", "-c", command], paths.autostop_log(),
                         cwd=str(paths.home()))
    return True
