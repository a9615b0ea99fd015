"""skylet: the on-node agent of skycore (job queue, logs, autostop on a cluster's head node).

skycore talks to it only through `python -m skylet <verb> --json ...`, so this package imports
nothing from skycore and only the stdlib plus ray (and ray only in the daemon, the job host actor
and the tasks they run on the nodes: the CLI path must stay fast). Keep this module import-free:
every CLI call imports it.
"""

__version__ = "0.1.0"
