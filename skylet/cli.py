"""`python -m skylet <verb> [args] --json`: skycore's only way into skylet.

Contract: exactly one JSON object on stdout and exit 0; on failure `{"error", "type"}` and exit 2
(usage) or 1 (anything else). `tail` is the exception: it streams raw log bytes and reports through
its exit code. This module must stay fast (a client waits on every call): stdlib only, never ray;
only the hidden `_daemon` verb imports the daemon (and with it ray).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skylet import __version__, autostop, control, logs, paths, procs
from skylet.job_table import NONTERMINAL, JobStatus, JobTable

START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 15.0
CANCEL_TIMEOUT_SECONDS = 30.0
DEFAULT_TICK_SECONDS = 20.0

# tail's exit codes
EXIT_SUCCEEDED = 0
EXIT_FAILED = 100
EXIT_NOT_FINISHED = 101
EXIT_NOT_FOUND = 102
EXIT_CANCELLED = 103
_DAEMON_GONE_SECONDS = 10.0


class UsageError(Exception):
    """Bad arguments or input: exit code 2."""


class DaemonError(Exception):
    """The daemon could not be started or reached."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print usage and exit 2 itself
        raise UsageError(message)


def _table() -> JobTable:
    return JobTable(paths.jobs_db())


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ---- daemon life cycle ----------------------------------------------------------------------


def _ping(timeout: float = 3.0) -> dict[str, Any] | None:
    reply = control.request(paths.control_socket_name(), {"op": "ping"}, timeout)
    return reply if reply and "pid" in reply else None


def _pid_file() -> dict[str, Any] | None:
    try:
        return json.loads(paths.pid_file().read_text())
    except (OSError, ValueError):
        return None


def _is_daemon_pid(pid: int) -> bool:
    return procs.pid_alive(pid) and "skylet" in procs.cmdline(pid)


def _host_alive() -> bool:
    """Whether a job host (the Ray actor that drives jobs, see `host.py`) still runs here; its
    worker's process title names the actor class."""
    try:
        files = list(paths.hosts_dir().glob("*.json"))
    except OSError:
        return False
    for path in files:
        try:
            pid = int(json.loads(path.read_text()).get("pid", 0))
        except (OSError, ValueError, AttributeError):
            continue
        if procs.pid_alive(pid) and "JobHost" in procs.cmdline(pid):
            return True
    return False


def _running_daemon() -> dict[str, Any] | None:
    """The live daemon's self-description (from its socket), or from its pid file when it is
    alive but not answering (then `responsive` is False)."""
    reply = _ping()
    if reply is not None:
        return {**reply, "responsive": True}
    info = _pid_file()
    if info and _is_daemon_pid(int(info.get("pid", 0))):
        return {**info, "responsive": False}
    return None


def _daemon_log_tail(lines: int = 20) -> str:
    try:
        text = paths.daemon_log().read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_ready(pid: int, proc: Any = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        reply = _ping(timeout=2.0)
        if reply is not None and reply["pid"] == pid and reply.get("ready"):
            return
        exited = proc.poll() is not None if proc is not None else not procs.pid_alive(pid)
        if exited:
            raise DaemonError(f"skylet daemon (pid {pid}) exited during start-up;"
                              f" daemon.log ends with:\n{_daemon_log_tail()}")
        time.sleep(0.05)
    raise DaemonError(f"skylet daemon (pid {pid}) not ready after {START_TIMEOUT_SECONDS:.0f}s;"
                      f" daemon.log ends with:\n{_daemon_log_tail()}")


def cmd_start_daemon(args: argparse.Namespace) -> dict[str, Any]:
    env_tick = os.environ.get("SKYLET_TICK_SECONDS")
    tick = float(env_tick) if env_tick else float(args.tick_seconds or DEFAULT_TICK_SECONDS)
    if tick <= 0:
        raise UsageError("tick seconds must be > 0")
    if ":" not in args.ray_address:
        raise UsageError("--ray-address must be IP:PORT")
    with _flock(paths.start_lock()):
        running = _running_daemon()
        if running is not None:
            same = (running.get("responsive") and running.get("version") == __version__
                    and running.get("ray_address") == args.ray_address
                    and running.get("cluster_name") == args.cluster_name)
            if same:
                _wait_ready(int(running["pid"]))
                return {"pid": int(running["pid"]), "started": False}
            procs.terminate(int(running["pid"]), STOP_GRACE_SECONDS)
        package_parent = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in [package_parent, env.get("PYTHONPATH", "")] if p)
        env["RAY_USAGE_STATS_ENABLED"] = "0"
        with open(paths.daemon_log(), "ab") as fh:
            fh.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} start-daemon"
                     f" (skylet {__version__})\n".encode())
        proc = procs.spawn_detached(
            [sys.executable, "-m", "skylet", "_daemon", "--ray-address", args.ray_address,
             "--cluster-name", args.cluster_name, "--tick-seconds", str(tick)],
            paths.daemon_log(), env=env, cwd=str(paths.home()), reap=False)
        try:
            _wait_ready(proc.pid, proc)
        except DaemonError:
            procs.terminate(proc.pid, grace=5.0)  # never leave a half-started daemon behind
            raise
        return {"pid": proc.pid, "started": True}


def cmd_stop_daemon(args: argparse.Namespace) -> dict[str, Any]:
    """Stop the daemon only: running and queued jobs stay with the job host (a detached Ray
    actor), which keeps driving them; the next `start-daemon` adopts them. They end with Ray."""
    with _flock(paths.start_lock()):
        running = _running_daemon()
        if running is None:
            with contextlib.suppress(OSError):
                paths.pid_file().unlink()
            return {"stopped": False}
        procs.terminate(int(running["pid"]), STOP_GRACE_SECONDS)
        with contextlib.suppress(OSError):
            paths.pid_file().unlink()
        return {"stopped": True}


def cmd_health(args: argparse.Namespace) -> dict[str, Any]:
    """Daemon liveness plus the IPs of the Ray nodes alive now (``ray_nodes``: null when the
    daemon cannot tell, e.g. it is still starting or Ray does not answer)."""
    running = _running_daemon()
    if running is None:
        return {"daemon_alive": False, "pid": None, "version": __version__, "ray_nodes": None}
    nodes = None
    if running.get("responsive"):
        reply = control.request(paths.control_socket_name(), {"op": "ray_nodes"}, 10.0)
        nodes = (reply or {}).get("ray_nodes")
    return {"daemon_alive": True, "pid": int(running["pid"]),
            "version": str(running.get("version", __version__)), "ray_nodes": nodes}


def cmd_daemon(args: argparse.Namespace) -> int:
    """The daemon itself (spawned by start-daemon); its stdio is daemon.log."""
    import traceback

    from skylet import daemon

    try:
        return daemon.main(args.ray_address, args.cluster_name, float(args.tick_seconds))
    except Exception:
        traceback.print_exc()
        return 1


# ---- jobs -----------------------------------------------------------------------------------


def _str_or_none(spec: dict[str, Any], key: str) -> str | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, str):
        raise UsageError(f"spec.{key} must be a string or null")
    return value


def validate_spec(spec: Any) -> dict[str, Any]:
    """Check and normalise a job spec (see the CLI contract); raises UsageError."""
    if not isinstance(spec, dict):
        raise UsageError("job spec must be a JSON object")
    num_nodes = spec.get("num_nodes", 1)
    if not isinstance(num_nodes, int) or isinstance(num_nodes, bool) or num_nodes < 1:
        raise UsageError("spec.num_nodes must be an integer >= 1")
    node_ips = spec.get("node_ips")
    if not isinstance(node_ips, list) or not all(isinstance(ip, str) for ip in node_ips):
        raise UsageError("spec.node_ips must be a list of strings")
    if len(node_ips) < num_nodes:
        raise UsageError(f"spec.num_nodes={num_nodes} but only {len(node_ips)} node_ips")
    envs = spec.get("envs") or {}
    if not isinstance(envs, dict):
        raise UsageError("spec.envs must be an object")
    demand = spec.get("demand") or {}
    if not isinstance(demand, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
            for v in demand.values()):
        raise UsageError("spec.demand must map resource names to numbers >= 0")
    demand = {str(k): v for k, v in demand.items() if v > 0}
    if not demand:
        demand = {"CPU": 0.5}  # a placement group bundle cannot be empty; SkyPilot's default
    cluster_info = spec.get("cluster_info") or {}
    if not isinstance(cluster_info, dict):
        raise UsageError("spec.cluster_info must be an object")
    num_gpus = spec.get("num_gpus_per_node", demand.get("GPU", 0)) or 0
    if not isinstance(num_gpus, (int, float)) or isinstance(num_gpus, bool):
        raise UsageError("spec.num_gpus_per_node must be a number")
    return {
        "name": _str_or_none(spec, "name") or "sky-cmd",
        "username": _str_or_none(spec, "username") or "unknown",
        "run": _str_or_none(spec, "run"),
        "setup": _str_or_none(spec, "setup"),
        "envs": {str(k): "" if v is None else str(v) for k, v in envs.items()},
        "num_nodes": num_nodes,
        "node_ips": node_ips,
        "demand": demand,
        "num_gpus_per_node": num_gpus,
        "task_id": _str_or_none(spec, "task_id") or "",
        "cluster_info": cluster_info,
        "workdir": _str_or_none(spec, "workdir"),
        "resources_str": _str_or_none(spec, "resources_str") or "",
    }


def cmd_submit(args: argparse.Namespace) -> dict[str, Any]:
    try:
        raw = json.loads(sys.stdin.read())
    except ValueError as exc:
        raise UsageError(f"job spec on stdin is not JSON: {exc}") from exc
    spec = validate_spec(raw)
    table = _table()
    job = table.add(spec, paths.display_log_dir)
    log_dir = paths.expand(job.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / logs.RUN_LOG).touch()
    table.set_status(job.job_id, JobStatus.PENDING, from_statuses=[JobStatus.INIT])
    autostop.touch(table)
    control.request(paths.control_socket_name(), {"op": "wake"}, timeout=2.0)
    return {"job_id": job.job_id, "log_dir": job.log_dir}


def cmd_queue(args: argparse.Namespace) -> dict[str, Any]:
    username = None if args.all_users else args.user
    statuses = NONTERMINAL if args.skip_finished else None
    jobs = _table().list(username=username, statuses=statuses)
    return {"jobs": [job.to_public() for job in jobs]}


def cmd_status(args: argparse.Namespace) -> dict[str, Any]:
    table = _table()
    if args.job_ids:
        statuses: dict[str, Any] = {}
        for job_id in args.job_ids:
            job = table.get(job_id)
            statuses[str(job_id)] = job.status.value if job else None
        return {"statuses": statuses}
    latest = table.latest()
    return {"statuses": {str(latest.job_id): latest.status.value} if latest else {}}


def _cancel_without_daemon(table: JobTable, job_ids: list[int] | None, all_jobs: bool,
                           user: str | None) -> list[int]:
    """No daemon (so no Ray): cancel in the table and kill what runs on this node; the next
    daemon start kills the rest on the other nodes (`cleanup_pending`)."""
    if all_jobs:
        jobs = table.nonterminal()
    else:
        jobs = [job for job in (table.get(i) for i in job_ids or []) if job is not None]
    cancelled = []
    for job in jobs:
        if user is not None and job.username != user:
            continue
        if table.set_status(job.job_id, JobStatus.CANCELLED, end_at=time.time()):
            cancelled.append(job.job_id)
            if job.driver_started_at is not None:
                table.set_cleanup_pending(job.job_id, True)
    procs.kill_marked(paths.MARKER_KEY, [paths.job_marker(i) for i in cancelled], grace=3.0)
    return cancelled


def cmd_cancel(args: argparse.Namespace) -> dict[str, Any]:
    if not args.all and not args.job_ids:
        raise UsageError("cancel needs --job-ids or --all")
    request = {"op": "cancel", "job_ids": args.job_ids or [], "all": bool(args.all),
               "user": args.user}
    reply = control.request(paths.control_socket_name(), request, CANCEL_TIMEOUT_SECONDS)
    if reply is None:
        return {"cancelled": _cancel_without_daemon(_table(), args.job_ids, args.all, args.user)}
    if "error" in reply:
        raise DaemonError(reply["error"])
    return {"cancelled": reply["cancelled"]}


def _tail_exit_code(status: JobStatus) -> int:
    if status == JobStatus.SUCCEEDED:
        return EXIT_SUCCEEDED
    if status == JobStatus.CANCELLED:
        return EXIT_CANCELLED
    if status.is_terminal:
        return EXIT_FAILED
    return EXIT_NOT_FINISHED


def cmd_tail(args: argparse.Namespace) -> int:
    table = _table()
    job = table.get(args.job_id) if args.job_id is not None else table.latest()
    if job is None:
        what = f"Job {args.job_id}" if args.job_id is not None else "No job"
        sys.stderr.write(f"{what} not found.\n")
        return EXIT_NOT_FOUND
    log_path = paths.expand(job.log_dir) / logs.RUN_LOG
    start = 0
    if args.tail is not None and log_path.exists():
        start = logs.offset_of_last_lines(log_path, args.tail)
    job_id = job.job_id
    if not args.follow:
        if log_path.exists():
            logs.follow(log_path, keep_going=lambda: False, start=start)
        return _tail_exit_code(job.status)

    announced = False
    daemon_seen = time.monotonic()
    next_daemon_check = 0.0
    gave_up = False

    def keep_going() -> bool:
        nonlocal announced, daemon_seen, next_daemon_check, gave_up
        current = table.get(job_id)
        if current is None or current.status.is_terminal:
            return False
        if current.status in (JobStatus.INIT, JobStatus.PENDING) and not announced:
            sys.stderr.write(f"Job {job_id} is {current.status.value}: waiting for it to start.\n")
            sys.stderr.flush()
            announced = True
        now = time.monotonic()
        if now >= next_daemon_check:  # a job progresses only while a job host drives it
            next_daemon_check = now + 1.0
            info = _pid_file()
            if (info and _is_daemon_pid(int(info.get("pid", 0)))) or _host_alive():
                daemon_seen = now
            elif now - daemon_seen > _DAEMON_GONE_SECONDS:
                sys.stderr.write("Neither the skylet daemon nor its job host is running;"
                                 " stopped following.\n")
                gave_up = True
                return False
        return True

    while not log_path.exists() and keep_going():
        time.sleep(0.05)
    if log_path.exists():
        logs.follow(log_path, keep_going=keep_going, start=start)
    final = table.get(job_id)
    if gave_up or final is None:
        return EXIT_NOT_FINISHED
    return _tail_exit_code(final.status)


# ---- autostop -------------------------------------------------------------------------------


def cmd_set_autostop(args: argparse.Namespace) -> dict[str, Any]:
    autostop.set_autostop(_table(), idle_minutes=args.idle_minutes, down=args.down,
                          wait_for=args.wait_for, stop_command=args.stop_command,
                          down_command=args.down_command)
    return {"ok": True}


def cmd_autostop_status(args: argparse.Namespace) -> dict[str, Any]:
    return autostop.status(_table())


# ---- parsing --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print JSON (always on; accepted for the contract)")
    parser = _Parser(prog="python -m skylet", description="skycore's on-node agent.",
                     parents=[common])
    sub = parser.add_subparsers(dest="verb", parser_class=_Parser)

    def verb(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text)
        p.set_defaults(func=func)
        return p

    p = verb("start-daemon", cmd_start_daemon, "start the daemon (idempotent)")
    p.add_argument("--ray-address", required=True)
    p.add_argument("--cluster-name", required=True)
    p.add_argument("--tick-seconds", type=float, default=None)
    verb("stop-daemon", cmd_stop_daemon, "stop the daemon")
    verb("health", cmd_health, "is the daemon alive")
    p = sub.add_parser("_daemon", parents=[common])
    p.set_defaults(func=cmd_daemon)
    p.add_argument("--ray-address", required=True)
    p.add_argument("--cluster-name", required=True)
    p.add_argument("--tick-seconds", type=float, default=DEFAULT_TICK_SECONDS)

    verb("submit", cmd_submit, "submit a job (spec JSON on stdin)")
    p = verb("queue", cmd_queue, "list jobs, newest first")
    p.add_argument("--all-users", action="store_true")
    p.add_argument("--user", default=None, help="only this user's jobs")
    p.add_argument("--skip-finished", action="store_true")
    p = verb("status", cmd_status, "job statuses")
    p.add_argument("--job-ids", type=int, nargs="*")
    p = verb("cancel", cmd_cancel, "cancel jobs")
    p.add_argument("--job-ids", type=int, nargs="*")
    p.add_argument("--all", action="store_true")
    p.add_argument("--user", default=None)
    p = verb("tail", cmd_tail, "stream a job's run.log (raw bytes, not JSON)")
    p.add_argument("--job-id", type=int, default=None)
    p.add_argument("--follow", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--tail", type=int, default=None, metavar="LINES")

    p = verb("set-autostop", cmd_set_autostop, "configure autostop")
    p.add_argument("--idle-minutes", type=float, required=True)
    p.add_argument("--down", action="store_true")
    p.add_argument("--wait-for", choices=autostop.WAIT_FOR, default="jobs")
    p.add_argument("--stop-command", default=None)
    p.add_argument("--down-command", default=None)
    verb("autostop-status", cmd_autostop_status, "autostop setting and idle time")
    return parser


def _print_json(obj: dict[str, Any], stream: Any = None) -> None:
    stream = stream or sys.stdout
    stream.write(json.dumps(obj) + "\n")
    stream.flush()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    raw_output = bool(argv) and argv[0] == "tail"  # tail's stdout is the log itself
    try:
        args = build_parser().parse_args(argv)
        if args.verb is None:
            raise UsageError("a verb is required (see --help)")
        if args.verb in ("tail", "_daemon"):
            return int(args.func(args))
        _print_json(args.func(args))
        return 0
    except UsageError as exc:
        _print_json({"error": str(exc), "type": "UsageError"},
                    sys.stderr if raw_output else None)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        _print_json({"error": str(exc), "type": type(exc).__name__},
                    sys.stderr if raw_output else None)
        return 1
