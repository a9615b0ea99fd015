"""``python -m skycore.drivers.local.ctl --cluster NAME stop|down``: what skylet runs on the head
node when autostop fires, so a local cluster stops or tears itself down with no server around."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from skycore.drivers.local import lifecycle, nodes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="skycore.drivers.local.ctl")
    parser.add_argument("--clusters-root", required=True)
    parser.add_argument("--cluster", required=True)
    parser.add_argument("action", choices=["stop", "down"])
    args = parser.parse_args(argv)
    root = Path(args.clusters_root)
    cluster = nodes.load(args.cluster, root)
    if cluster is None:
        return 0
    # give skylet a moment to record that it is autostopping before its own process ends
    time.sleep(0.5)
    # Spare only ourselves: our parent is the skylet daemon that asked for this, and it must go.
    if args.action == "down":
        lifecycle.delete(cluster, spare={os.getpid()})
    else:
        lifecycle.stop(cluster, spare={os.getpid()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
