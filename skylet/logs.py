"""Job log files on the head: writing them (daemon) and following them (`tail`, CLI).

Layout (SkyPilot's): `~/sky_logs/<job_id>-<name>/run.log` gets every node's output live; for
multi-node jobs each line is prefixed with the node (`(head, rank=0, pid=1234) `) and the raw output
of each node also goes to `<rank>-<head|workerN>.log`; setup output goes to `setup.log` and is shown
in run.log too. Files are unbuffered so a follower sees a line as soon as the daemon receives it.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

RUN_LOG = "run.log"
SETUP_LOG = "setup.log"

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)")


@dataclass(frozen=True)
class NodeLabel:
    """How a node is named in prefixes and file names (`head` or `worker<N>`, N = position)."""

    rank: int
    name: str
    ip: str

    def prefix(self, pid: int | None) -> bytes:
        pid_text = f", pid={pid}" if pid is not None else ""
        ip_text = "" if self.name == "head" else f", ip={self.ip}"
        return f"({self.name}, rank={self.rank}{pid_text}{ip_text}) ".encode()

    @property
    def file_name(self) -> str:
        return f"{self.rank}-{self.name}.log"


def label_nodes(ranked_ips: list[str], cluster_ips: list[str]) -> list[NodeLabel]:
    """Labels for a job's nodes in rank order; `cluster_ips[0]` is the cluster's head."""
    labels = []
    for rank, ip in enumerate(ranked_ips):
        if cluster_ips and ip == cluster_ips[0]:
            name = "head"
        elif ip in cluster_ips:
            name = f"worker{cluster_ips.index(ip)}"
        else:
            name = f"worker{rank}"
        labels.append(NodeLabel(rank=rank, name=name, ip=ip))
    return labels


class JobLogs:
    """All log files of one job; node streams call into it from their own threads."""

    def __init__(self, log_dir: Path, multi_node: bool) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = log_dir
        self.multi_node = multi_node
        self._lock = threading.Lock()
        self._run = open(log_dir / RUN_LOG, "ab", buffering=0)  # noqa: SIM115 - job-long
        self._setup: BinaryIO | None = None
        self._node_files: dict[str, BinaryIO] = {}

    def message(self, text: str) -> None:
        """A line from skylet itself (why a job failed, ...), into run.log."""
        line = text if text.endswith("\n") else text + "\n"
        with self._lock:
            self._run.write(line.encode())

    def stream(self, phase: str, label: NodeLabel) -> NodeStream:
        with self._lock:
            if phase == "setup" and self._setup is None:
                self._setup = open(self.log_dir / SETUP_LOG, "ab", buffering=0)  # noqa: SIM115
            raw: BinaryIO | None = None
            if phase == "run" and self.multi_node:
                raw = self._node_files.get(label.file_name)
                if raw is None:
                    raw = open(self.log_dir / label.file_name, "ab", buffering=0)  # noqa: SIM115
                    self._node_files[label.file_name] = raw
        return NodeStream(self, phase, label, raw)

    def _write(self, phase: str, data: bytes, raw_file: BinaryIO | None, raw: bytes) -> None:
        with self._lock:
            if data:
                self._run.write(data)
                if phase == "setup" and self._setup is not None:
                    self._setup.write(data)
            if raw_file is not None and raw:
                raw_file.write(raw)

    def close(self) -> None:
        with self._lock:
            for fh in [self._run, self._setup, *self._node_files.values()]:
                if fh is not None:
                    fh.close()


class NodeStream:
    """Output of one node in one phase. Multi-node output is written line by line with the node's
    prefix, so lines of different nodes never interleave mid-line; a partial line waits for its end
    (a `\\r` counts, so progress bars flow). Single-node output is passed through untouched."""

    def __init__(self, logs: JobLogs, phase: str, label: NodeLabel, raw: BinaryIO | None) -> None:
        self._logs = logs
        self._phase = phase
        self._label = label
        self._raw = raw
        self._pid: int | None = None
        self._pending = b""

    def set_pid(self, pid: int) -> None:
        self._pid = pid

    def feed(self, data: bytes) -> None:
        if not self._logs.multi_node:
            self._logs._write(self._phase, data, None, b"")
            return
        buf = self._pending + data
        end = 0
        out: list[bytes] = []
        prefix = self._label.prefix(self._pid)
        for match in _LINE.finditer(buf):
            out.append(prefix + match.group(0))
            end = match.end()
        self._pending = buf[end:]
        self._logs._write(self._phase, b"".join(out), self._raw, data)

    def finish(self) -> None:
        if self._pending:
            self._logs._write(self._phase, self._label.prefix(self._pid) + self._pending + b"\n",
                              None, b"")
            self._pending = b""


# ---- following (CLI side: stdlib only, no daemon needed) ------------------------------------


def offset_of_last_lines(path: Path, lines: int) -> int:
    """Byte offset where the last `lines` lines of `path` start (0 if the file is shorter)."""
    if lines <= 0:
        return path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        pos = fh.tell()
        if pos == 0:
            return 0
        fh.seek(pos - 1)
        newlines = -1 if fh.read(1) == b"\n" else 0  # a final newline ends, not starts, a line
        block = 65536
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            chunk = fh.read(pos - start)
            idx = len(chunk)
            while True:
                idx = chunk.rfind(b"\n", 0, idx)
                if idx < 0:
                    break
                newlines += 1
                if newlines == lines:
                    return start + idx + 1
            pos = start
    return 0


def follow(
    path: Path,
    *,
    keep_going: Callable[[], bool],
    out: BinaryIO | None = None,
    start: int = 0,
    poll: float = 0.05,
) -> None:
    """Copy `path` from `start` to `out` as it grows, until `keep_going()` says stop and the file
    has been drained once more (so output written before a job became terminal is never lost)."""
    out = out or sys.stdout.buffer
    pos = start
    while True:
        more = keep_going()  # decided before the read: everything written earlier is read now
        with open(path, "rb") as fh:
            fh.seek(pos)
            while True:
                chunk = fh.read(65536)
                if not chunk:
                    break
                pos += len(chunk)
                out.write(chunk)
            out.flush()
        if not more:
            return
        time.sleep(poll)
