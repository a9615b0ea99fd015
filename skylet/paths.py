"""Where skylet keeps its state on the head node, and the names derived from it.

Everything is relative to `~` (the head's HOME) because skycore reaches skylet through a command
runner whose only shared notion of place is the home directory. Several clusters may share one host
(tests, the local driver), each with its own HOME, so every name that must be unique per cluster
(control socket, process markers) is derived from the real path of HOME.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path

#: Environment variable set on every process a job starts, so cancel can find the whole tree even
#: when the user's command calls setsid (process groups are not enough).
MARKER_KEY = "SKYLET_JOB_MARKER"


def home() -> Path:
    return Path(os.path.expanduser("~"))


def state_dir() -> Path:
    """`~/.sky/skylet`, created on first use."""
    path = home() / ".sky" / "skylet"
    path.mkdir(parents=True, exist_ok=True)
    return path


def jobs_db() -> Path:
    return state_dir() / "jobs.db"


def pid_file() -> Path:
    return state_dir() / "daemon.pid"


def daemon_lock() -> Path:
    """Held (flock) by the live daemon for its whole life: at most one daemon per HOME."""
    return state_dir() / "daemon.lock"


def start_lock() -> Path:
    """Serialises concurrent `start-daemon`/`stop-daemon` calls."""
    return state_dir() / "start.lock"


def daemon_log() -> Path:
    return state_dir() / "daemon.log"


def autostop_log() -> Path:
    return state_dir() / "autostop.log"


def host_log() -> Path:
    """Log of the job host actor(s) (`host.py`); Ray's own worker logs live elsewhere."""
    return state_dir() / "host.log"


def hosts_dir() -> Path:
    """One `<host name>.json` ({"pid", "name", "version"}) per job host started on this head, so
    the CLI (no Ray) can tell whether a host process is still alive."""
    path = state_dir() / "hosts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sky_logs() -> Path:
    return home() / "sky_logs"


def safe_name(name: str) -> str:
    """A job name usable as part of a directory name (SkyPilot allows almost anything)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return cleaned[:80] or "job"


def display_log_dir(job_id: int, name: str) -> str:
    """The log dir as skycore shows it: with a literal `~`, valid on the head whatever HOME is."""
    return f"~/sky_logs/{job_id}-{safe_name(name)}"


def expand(path: str) -> Path:
    return Path(os.path.expanduser(path))


def _home_digest() -> str:
    real = os.path.realpath(str(home()))
    return hashlib.sha1(f"{socket.gethostname()}:{real}".encode()).hexdigest()


def control_socket_name() -> str:
    """Abstract-namespace unix socket of the daemon.

    Abstract names (leading NUL) need no file, so a deep HOME cannot push the path past the 107
    byte limit of AF_UNIX, and a dead daemon leaves nothing stale behind.
    """
    return "\0skylet-" + _home_digest()[:24]


def cluster_token() -> str:
    """Prefix of this head's job markers, so two clusters on one host never match each other."""
    return _home_digest()[:12]


def job_marker(job_id: int) -> str:
    return f"{cluster_token()}-{job_id}"
