"""Small output helpers shared by every command: colours, symbols, prompts, errors.

Why a module of its own: SkyPilot users recognise its output by a handful of conventions (the
``⚙︎``/``✓``/``├──`` symbols, bold commands in hints, ``Proceed? [Y/n]`` prompts, red one-line
errors). Keeping them in one place keeps every command consistent. Everything goes through
``click.style``/``click.echo``, which drop the ANSI codes by themselves when output is not a
terminal, so pipes and tests see plain text.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

INDENT = "├── "
INDENT_LAST = "└── "
STARTING = "⚙︎ "
DONE = "✓ "
FAILED = "✗ "

# Debugging switch: show the full traceback of a SkyError instead of the one-paragraph message.
DEBUG_ENV = "SKYCORE_DEBUG"

CLUSTER_STATUS_COLORS = {
    "INIT": "blue",
    "UP": "green",
    "STOPPED": "yellow",
    "AUTOSTOPPING": "yellow",
    "PENDING": "cyan",
}

JOB_STATUS_COLORS = {
    "INIT": "blue",
    "PENDING": "blue",
    "SETTING_UP": "blue",
    "RUNNING": "green",
    "SUCCEEDED": "green",
    "FAILED": "red",
    "FAILED_SETUP": "red",
    "FAILED_DRIVER": "red",
    "CANCELLED": "yellow",
}


def bold(text: str) -> str:
    return click.style(text, bold=True)


def dim(text: str) -> str:
    return click.style(text, dim=True)


def heading(text: str) -> str:
    """Section titles such as ``Clusters`` (SkyPilot prints them bright cyan)."""
    return click.style(text, fg="cyan", bold=True)


def colored_status(status: str | None, colors: dict[str, str]) -> str:
    if status is None:
        return "-"
    text = str(status)
    color = colors.get(text.upper())
    return click.style(text, fg=color) if color else text


def indent(last: bool = False) -> str:
    return dim(INDENT_LAST if last else INDENT)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def confirm(prompt: str) -> None:
    """SkyPilot's confirmation: ``... Proceed? [Y/n]:``, default yes; 'n' aborts with exit 1."""
    click.confirm(prompt, default=True, abort=True, show_default=True)


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def error_text(exc: BaseException) -> str:
    """``ErrorClass: message`` plus, for failover errors, the attempts that led to it.

    This mirrors what SkyPilot prints (it suppresses the traceback and lets Python print
    ``Class: message``), but as one readable paragraph.
    """
    message = str(exc).strip() or type(exc).__name__
    text = f"{type(exc).__name__}: {message}"
    history = getattr(exc, "history", None) or []
    extra = [f"  - {type(h).__name__}: {h}" for h in history if str(h) and str(h) not in message]
    if extra:
        text += "\n" + "\n".join(extra)
    return text


def print_error(exc: BaseException) -> None:
    """Prints a user-facing error on stderr in red; with SKYCORE_DEBUG=1 the traceback first."""
    if debug_enabled():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    click.secho(error_text(exc), fg="red", err=True)


def is_sky_error(exc: BaseException) -> bool:
    """True for ``skycore.errors.SkyError`` without importing ``skycore.errors`` eagerly.

    A SkyError can only have been raised if its module was imported, so looking it up in
    ``sys.modules`` is exact and keeps the CLI's startup free of skycore imports.
    """
    errors = sys.modules.get("skycore.errors")
    base = getattr(errors, "SkyError", None)
    return base is not None and isinstance(exc, base)


def sky_error_class(name: str) -> type[BaseException] | tuple[()]:
    """An error class of ``skycore.errors`` for ``except`` clauses; ``()`` if it does not exist.

    Catching ``()`` matches nothing, so a command written against an error the errors module
    does not define (yet) degrades to "not caught" instead of crashing with AttributeError.
    """
    from skycore import errors

    cls = getattr(errors, name, None)
    return cls if isinstance(cls, type) else ()
