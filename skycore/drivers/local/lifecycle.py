"""Stop or delete a local cluster: shared by the provisioner (server side) and by the ``ctl``
command skylet runs on the head for autostop, so both end the same processes the same way."""

from __future__ import annotations

from skycore.drivers.local import nodes
from skycore.utils import procs

#: gcs_server ignores SIGTERM for ~10 s; nothing of a node needs a longer grace than this
GRACE_SECONDS = 2.0


def end_processes(cluster: nodes.LocalCluster, spare: set[int] | None = None) -> None:
    procs.terminate_marked(nodes.NODE_MARK_ENV, cluster.node_mark(),
                           grace_seconds=GRACE_SECONDS, spare=spare)


def stop(cluster: nodes.LocalCluster, spare: set[int] | None = None) -> None:
    """End every node process and keep the node directories (``sky start`` resumes them)."""
    end_processes(cluster, spare)
    for node in cluster.nodes:
        node.status = "STOPPED"
    cluster.save()


def delete(cluster: nodes.LocalCluster, spare: set[int] | None = None) -> None:
    """End every node process, remove the node directories and release the addresses."""
    end_processes(cluster, spare)
    nodes.remove_cluster_files(cluster)
