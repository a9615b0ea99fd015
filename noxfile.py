"""Developer sessions. They reuse the project's .venv (made by scripts/setup.sh) instead of
building a fresh one per session: installing Ray again would cost a minute per run."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.default_venv_backend = "none"


@nox.session
def lint(session: nox.Session) -> None:
    session.run(".venv/bin/ruff", "check", "skycore", "skylet", "tests", "benchmarks",
                external=True)
    session.run(".venv/bin/lint-imports", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    session.run(".venv/bin/python", "-m", "pytest", *session.posargs, external=True)


@nox.session
def unit(session: nox.Session) -> None:
    """Fast tests only (no Ray, no processes)."""
    session.run(".venv/bin/python", "-m", "pytest", "-m", "not integration and not e2e",
                *session.posargs, external=True)


@nox.session
def bench(session: nox.Session) -> None:
    for script in ("bench_cli_startup.py", "bench_local_launch.py"):
        session.run(".venv/bin/python", f"benchmarks/{script}", external=True)
