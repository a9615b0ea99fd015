"""``python -m skycore.server`` (see :mod:`skycore.server.main`)."""

from skycore.server.main import main

if __name__ == "__main__":
    main()
