"""The ``local`` driver: a cluster's nodes are isolated process groups on this machine.

Each node has its own home directory and its own loopback address (127.0.0.2 and up, distinct per
cluster), so Ray, skylet and the user's job see a real multi-node cluster with no cloud account.
"""
