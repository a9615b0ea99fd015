"""How fast does ``sky`` start? Prints figures; asserts nothing.

Times, over N fresh interpreters each (default 20):
  * ``sky --help`` run as ``python -c "from skycore.client.cli.main import main; main()" --help``,
  * the installed ``sky`` console script, when there is one next to this Python,
  * ``python -c "import skycore"`` (the lazy facade),
  * ``python -c "pass"`` as the interpreter's own floor, to read the others against.
Then lists which heavy modules (SDK, pydantic, yaml, sqlalchemy, ray, plugins, ...) ``sky --help``
imported — the target is none.

Usage: python benchmarks/bench_cli_startup.py [-n RUNS]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("skycore.client.sdk", "skycore.task", "skycore.plugins", "skycore.errors", "pydantic",
         "yaml", "sqlalchemy", "ray", "stevedore", "pluggy", "requests", "networkx", "pulp")

_WRAPPER = textwrap.dedent("""
    import atexit, sys
    HEAVY = {heavy!r}
    def _report():
        hits = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
        cli = sorted(m for m in sys.modules if m.startswith("skycore.client.cli."))
        sys.stderr.write("HEAVY=" + ",".join(hits) + "\\n" + "CLI=" + ",".join(cli) + "\\n"
                         + "TOTAL=" + str(len(sys.modules)) + "\\n")
    atexit.register(_report)
    sys.argv = ["sky", "--help"]
    from skycore.client.cli.main import main
    main()
""")


def _time_runs(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()}")
    return times


def _row(label: str, times: list[float]) -> str:
    return (f"{label:<44} median {statistics.median(times) * 1000:7.1f} ms   "
            f"min {min(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms")


def _imports_of_help() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "wrapper.py"
        script.write_text(_WRAPPER.format(heavy=list(HEAVY)))
        proc = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True,
                              text=True)
    found = {}
    for line in proc.stderr.splitlines():
        key, _, value = line.partition("=")
        if key in ("HEAVY", "CLI", "TOTAL"):
            found[key] = value
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="runs per command")
    args = parser.parse_args()
    py = sys.executable

    cases = [
        ("sky --help (python -c ... main())",
         [py, "-c", "from skycore.client.cli.main import main; main()", "--help"]),
    ]
    script = Path(py).with_name("sky")
    if script.exists():
        cases.append(("sky --help (console script)", [str(script), "--help"]))
    cases += [
        ('python -c "import skycore"', [py, "-c", "import skycore"]),
        ('python -c "pass" (interpreter floor)', [py, "-c", "pass"]),
    ]

    print(f"Python {sys.version.split()[0]} at {py}; {args.runs} runs each")
    for label, cmd in cases:
        _time_runs(cmd, 1)  # warm the page cache and .pyc files; not counted
        print(_row(label, _time_runs(cmd, args.runs)))

    found = _imports_of_help()
    heavy = found.get("HEAVY", "")
    print()
    print(f"heavy modules imported by `sky --help`: {heavy or 'none'}")
    print(f"CLI modules imported by `sky --help`: {found.get('CLI') or 'none'}")
    print(f"modules in sys.modules at exit: {found.get('TOTAL', '?')}")


if __name__ == "__main__":
    main()
