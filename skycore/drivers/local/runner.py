"""Command runner for a local node: a subprocess with the node's HOME and process marker."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import BinaryIO

from skycore.drivers.local.nodes import NODE_MARK_ENV
from skycore.interfaces.command_runner import CommandRunner, RunResult

# Variables of the calling process that must not leak into a node: they would point the node's
# runtime at the caller's Ray or virtualenv state.
_SCRUBBED = ("RAY_ADDRESS", "VIRTUAL_ENV", "PYTHONHOME", "OLDPWD", "PWD")


class LocalRunner(CommandRunner):
    def __init__(self, node_id: str, ip: str, home: str, mark: str) -> None:
        self.node_id = node_id
        self.ip = ip
        self.home = home
        self.mark = mark

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update({"HOME": self.home, NODE_MARK_ENV: self.mark, "SKYCORE_NODE_IP": self.ip})
        if extra:
            env.update(extra)
        return env

    def run(self, command: str, *, env: dict[str, str] | None = None, stdin: bytes | None = None,
            stream_to: BinaryIO | None = None, timeout: float | None = None) -> RunResult:
        proc = subprocess.Popen(
            ["bash", "-c", command], cwd=self.home, env=self._env(env),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        if stream_to is None:
            try:
                out, err = proc.communicate(stdin, timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                out, err = proc.communicate()
                return RunResult(124, out, err)
            except BaseException:
                # the caller was interrupted (Ctrl+C, or its API request was cancelled): the
                # command runs in its own session, so end it here or nobody will
                _kill_group(proc)
                raise
            return RunResult(proc.returncode, out, err)
        return self._run_streaming(proc, stdin, stream_to, timeout)

    def _run_streaming(self, proc: subprocess.Popen, stdin: bytes | None, stream_to: BinaryIO,
                       timeout: float | None) -> RunResult:
        err_chunks: list[bytes] = []
        assert proc.stdout is not None and proc.stderr is not None
        stderr_reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()),
                                         daemon=True)
        stderr_reader.start()
        if stdin is not None and proc.stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        timer = threading.Timer(timeout, _kill_group, args=(proc,)) if timeout else None
        if timer:
            timer.start()
        try:
            while True:
                chunk = proc.stdout.read1(65536)  # type: ignore[attr-defined]
                if not chunk:
                    break
                stream_to.write(chunk)
                stream_to.flush()
        except BaseException:
            # Ctrl+C of the caller: stop reading, end our reader process, leave the job alone
            _kill_group(proc)
            raise
        finally:
            if timer:
                timer.cancel()
        proc.wait()
        stderr_reader.join(5)
        return RunResult(proc.returncode, b"", b"".join(err_chunks))

    def rsync_up(self, source: str, target: str, *, excludes: tuple[str, ...] = ()) -> None:
        dest = self._node_path(target)
        src = os.path.expanduser(source)
        if shutil.which("rsync"):
            cmd = ["rsync", "-a", "--filter=:- .gitignore"]
            cmd += [f"--exclude={e}" for e in excludes]
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(cmd + [src, dest], check=True, capture_output=True)
            return
        self._copy(src, dest, excludes)

    def rsync_down(self, source: str, target: str) -> None:
        self._copy(self._node_path(source), os.path.expanduser(target), ())

    def _node_path(self, path: str) -> str:
        if path == "~" or path.startswith("~/"):
            return self.home + path[1:]
        return path if os.path.isabs(path) else os.path.join(self.home, path)

    @staticmethod
    def _copy(src: str, dest: str, excludes: tuple[str, ...]) -> None:
        contents_only = src.endswith("/")
        src = src.rstrip("/") or "/"
        if os.path.isdir(src):
            target = dest if contents_only else os.path.join(dest, os.path.basename(src))
            shutil.copytree(src, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(*excludes) if excludes else None)
        else:
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 9)
    except OSError:
        pass
