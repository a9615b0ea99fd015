"""``python -m skycore.drivers.local.ctl --cluster NAME stop|down``: what skylet runs on the head
node when autostop fires, so a local cluster stops or tears itself down with no server around."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from skycore.drivers.local import nodes
from skycore.utils import procs


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
    procs.terminate_marked(nodes.NODE_MARK_ENV, cluster.node_mark(), grace_seconds=2,
                           spare={os.getpid()})
    if args.action == "down":
        nodes.remove_cluster_files(cluster)
    else:
        for node in cluster.nodes:
            node.status = "STOPPED"
        cluster.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
