"""Entry point of `python -m skylet`: delegates to the CLI so the CLI stays importable in tests."""

from skylet.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
