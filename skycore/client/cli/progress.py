"""Shows the SDK's progress callbacks: a live spinner on a terminal, plain lines elsewhere.

The SDK reports ``progress(stage, message)`` for the stages of the launch pipeline (OPTIMIZE,
PROVISION, SYNC_WORKDIR, SYNC_FILE_MOUNTS, SETUP, PRE_EXEC, EXEC, DOWN), plus NOTE events: lines
to keep such as each failover attempt, printed as they come. Each new stage leaves
one permanent ``⚙︎ Stage: message`` line, like SkyPilot's starting messages. On a terminal a
spinner line below it shows the latest message of the running stage; in a pipe or CI log there is
no animation, so later messages of the same stage are not repeated (one line per stage).

Live job logs arrive as bytes on the ``out`` stream while the spinner may be drawn: :meth:`sink`
wraps that stream so the first byte of logs clears the spinner for good and the two never
interleave on one line.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import IO, Any

import click

from skycore.client.cli import ui

STAGE_LABELS = {
    "OPTIMIZE": "Optimizing",
    "PROVISION": "Launching",
    "SYNC_WORKDIR": "Syncing workdir",
    "SYNC_FILE_MOUNTS": "Syncing file mounts",
    "SETUP": "Running setup",
    "PRE_EXEC": "Preparing job",
    "EXEC": "Submitting job",
    "DOWN": "Tearing down",
}

_JOB_ID = re.compile(r"\bJob (\d+)\b")
_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_FRAME_SECONDS = 0.1


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage.replace("_", " ").capitalize())


def _describe(stage: str, message: str) -> str:
    """``Launching: Instance is up`` — or just the label when the message says the same."""
    label = stage_label(stage)
    text = message.rstrip(".")
    if not text or text.lower() in (label.lower(), stage.lower()):
        return label
    if text.lower().startswith(label.lower() + " "):  # "Syncing workdir /tmp/wd"
        return text
    return f"{label}: {text}"


class Spinner:
    """A one-line animated status on a text stream, redrawn by a daemon thread.

    Every write to the terminal goes through ``lock`` so the spinner thread never draws in the
    middle of a line the main thread is printing.
    """

    def __init__(self, stream: IO[str], text: str = "") -> None:
        self._stream = stream
        self._text = text
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sky-spinner", daemon=True)
            self._thread.start()

    def update(self, text: str) -> None:
        with self.lock:
            self._text = text

    def clear(self) -> None:
        """Erases the spinner line (the caller holds the lock or does not care)."""
        with self.lock:
            if self._drawn:
                self._stream.write("\r\x1b[2K")
                self._stream.flush()
                self._drawn = False

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        self.clear()

    def _run(self) -> None:
        import shutil

        frame = 0
        while not self._stop.is_set():
            with self.lock:
                if not self._stop.is_set():
                    # A line wider than the terminal wraps and "\r" can no longer erase it.
                    width = shutil.get_terminal_size((80, 24)).columns - 3
                    plain = self._text if len(self._text) <= width else (
                        self._text[:max(0, width - 3)] + "...")
                    symbol = click.style(_FRAMES[frame % len(_FRAMES)], fg="cyan")
                    text = click.style(plain, fg="cyan", bold=True)
                    self._stream.write(f"\r\x1b[2K{symbol} {text}")
                    self._stream.flush()
                    self._drawn = True
            frame += 1
            self._stop.wait(_FRAME_SECONDS)


class _LogSink:
    """The binary ``out`` stream handed to the SDK: clears the spinner before the first log byte.

    Text printed through ``sys.stdout`` is flushed first so our messages and the job's bytes stay
    in order even though they use different layers of the same file.
    """

    def __init__(self, owner: StageProgress, target: IO[bytes]) -> None:
        self._owner = owner
        self._target = target

    def write(self, data: bytes) -> int:
        self._owner.logs_started()
        with self._owner.lock:
            sys.stdout.flush()
            written = self._target.write(data)
            self._target.flush()
        return len(data) if written is None else written

    def flush(self) -> None:
        self._target.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(getattr(self._target, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> Any:  # fileno, closed, ... of the real stream
        return getattr(self._target, name)


class StageProgress:
    """Context manager and ``progress(stage, message)`` callable for SDK calls.

    >>> with StageProgress() as progress:
    ...     sdk.launch(dag, progress=progress, out=progress.sink())
    """

    def __init__(self, stream: IO[str] | None = None, *, live: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        if live is None:
            live = bool(getattr(self._stream, "isatty", lambda: False)())
        self._live = live
        self._spinner = Spinner(self._stream) if live else None
        self.lock = self._spinner.lock if self._spinner else threading.RLock()
        self.stages: list[str] = []
        self.job_id: int | None = None  # learnt from an EXEC message such as "Job 3 submitted"
        self.last_message = ""
        self._logs_started = False

    # -- callable used by the SDK ------------------------------------------------------------
    def __call__(self, stage: str, message: str = "") -> None:
        with self.lock:
            stage = str(getattr(stage, "value", stage))  # the SDK may pass a str-valued Enum
            message = str(message or "").strip()
            if stage == "NOTE":  # a line to keep (failover attempts), under the current stage
                self._print_line(click.style(f"  {message}", fg="yellow"))
                return
            if self.job_id is None and stage == "EXEC":
                found = _JOB_ID.search(message)
                if found:
                    self.job_id = int(found.group(1))
            new_stage = not self.stages or self.stages[-1] != stage
            if new_stage:
                self.stages.append(stage)
                self._print_line(self._stage_line(stage, message))
            self.last_message = message
            if self._spinner is not None and not self._logs_started:
                spin = _describe(stage, message) + "..."
                self._spinner.update(spin)
                self._spinner.start()

    def reached(self, stage: str) -> bool:
        return stage in self.stages

    # -- log stream --------------------------------------------------------------------------
    def sink(self, target: IO[bytes] | None = None) -> _LogSink:
        """The ``out`` stream for live job logs (default: stdout's binary buffer)."""
        if target is None:
            target = getattr(sys.stdout, "buffer", None)
            if target is None:  # a text-only stdout (rare): fall back to a bytes-to-text shim
                target = _TextShim(sys.stdout)
        return _LogSink(self, target)

    def logs_started(self) -> None:
        if self._logs_started:
            return
        with self.lock:
            self._logs_started = True
        # Stopped outside the lock: the spinner thread needs the lock to notice it must stop.
        if self._spinner is not None:
            self._spinner.stop()

    @property
    def has_logs(self) -> bool:
        return self._logs_started

    # -- printing ----------------------------------------------------------------------------
    def echo(self, text: str) -> None:
        """Prints a permanent line above the spinner (for commands that report extra lines)."""
        with self.lock:
            self._print_line(text)

    def _stage_line(self, stage: str, message: str) -> str:
        return ui.STARTING + _describe(stage, message) + "."

    def _print_line(self, text: str) -> None:
        if self._spinner is not None:
            self._spinner.clear()
        click.echo(text, file=self._stream)

    # -- context manager ---------------------------------------------------------------------
    def close(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _TextShim:
    """Adapts a text stream to the bytes interface of ``out`` (used only without ``.buffer``)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        self._stream.write(data.decode("utf-8", errors="replace"))
        return len(data)

    def flush(self) -> None:
        self._stream.flush()


class transient_spinner:  # noqa: N801 - used like a function: ``with transient_spinner(...)``
    """A spinner that shows ``text`` while a short call runs and leaves nothing behind.

    Used around calls without a progress callback (e.g. ``sdk.optimize``). Silent off a terminal.
    """

    def __init__(self, text: str, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        live = bool(getattr(self._stream, "isatty", lambda: False)())
        self._spinner = Spinner(self._stream, text) if live else None

    def __enter__(self) -> transient_spinner:
        if self._spinner is not None:
            self._spinner.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._spinner is not None:
            self._spinner.stop()
