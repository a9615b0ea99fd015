"""Cluster names: defaults, validation and the provider-side name."""

from __future__ import annotations

import getpass
import os
import re
import uuid

from skycore import errors

_VALID = re.compile(r"^[a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$")


def current_user() -> str:
    """Who the work is for: the API server's worker sets ``SKYCORE_USER`` to the request's
    (authenticated) user; in-process it is the OS user."""
    override = os.environ.get("SKYCORE_USER")
    if override:
        return override
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def default_cluster_name() -> str:
    user = re.sub(r"[^a-z0-9]", "", current_user().lower()) or "user"
    return f"sky-{uuid.uuid4().hex[:4]}-{user}"


def validate_cluster_name(name: str) -> None:
    if not _VALID.match(name):
        raise errors.TaskValidationError(
            "cluster names start with a letter and contain only letters, digits, '-', '_' "
            "and '.' (not at the end).", field="cluster_name", value=name,
            hint="e.g. -c my-cluster")


def name_on_cloud(name: str, cluster_hash: str, max_length: int | None = None) -> str:
    """Lower-case, provider-safe name, unique per launch thanks to the cluster hash."""
    base = re.sub(r"[._]", "-", name.lower())
    suffix = cluster_hash[:8]
    if max_length and len(base) + 1 + len(suffix) > max_length:
        base = base[: max(1, max_length - 1 - len(suffix))].rstrip("-")
    return f"{base}-{suffix}"
