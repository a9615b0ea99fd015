"""Classified errors shared by the core and every plugin.

Why classes and not codes: failover is generic. A provider raises the class that says *how much*
of the search space its failure rules out (a zone, a region, the whole cloud, or nothing because
a retry may succeed), and the launch pipeline blocks exactly that much without knowing anything
about the provider.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


class SkyError(Exception):
    """Base class of every error skycore raises on purpose (never a bug)."""


# ----------------------------------------------------------------------------- user input
class TaskValidationError(SkyError, ValueError):
    """A task YAML, CLI flag or SDK argument is wrong.

    The message names the field (dotted path such as ``resources.cpus``), the bad value and, when
    we can tell, the fix (``hint``), e.g. a close-match field name.
    """

    def __init__(self, message: str, *, field: str | None = None, value: Any = _MISSING,
                 hint: str | None = None) -> None:
        self.field = field
        self.value = None if value is _MISSING else value
        self.hint = hint
        parts = []
        if field:
            parts.append(f"Invalid field {field!r}")
            if value is not _MISSING:
                parts[-1] += f" (got {value!r})"
            parts[-1] += ":"
        parts.append(message)
        text = " ".join(parts)
        if hint:
            text += f" Hint: {hint}"
        super().__init__(text)


class NotSupportedError(SkyError):
    """A capability is not available: not built yet, or not offered by the chosen cloud.

    Raised by a provider during provisioning it blocks that whole cloud.
    """


# ----------------------------------------------------------------------------- provisioning
class ProvisionError(SkyError):
    """Base of the classified provisioning errors. ``zone``/``region`` say where it happened."""

    def __init__(self, message: str, *, cloud: str | None = None, region: str | None = None,
                 zone: str | None = None) -> None:
        super().__init__(message)
        self.cloud = cloud
        self.region = region
        self.zone = zone


class CapacityError(ProvisionError):
    """No capacity in this zone right now: failover blocks the zone and tries the next one."""


class QuotaError(ProvisionError):
    """A quota of the account in this region is exhausted: failover blocks the region."""


class AuthError(ProvisionError):
    """Credentials are missing, expired or lack permission: failover blocks the whole cloud."""


class ProviderNotSupportedError(ProvisionError, NotSupportedError):
    """The provider cannot do what the request asks: failover blocks the whole cloud."""


class TransientError(ProvisionError):
    """A passing failure (throttling, network blip): retry the same placement after a pause."""


class ResourcesUnavailableError(SkyError):
    """Nothing feasible is left: the optimizer found no candidate or failover ran out.

    ``history`` holds the errors of every attempt, in order, so the user sees the whole story.
    """

    def __init__(self, message: str, *, history: list[Exception] | None = None,
                 no_failover: bool = False) -> None:
        super().__init__(message)
        self.history = list(history or [])
        self.no_failover = no_failover


class ResourcesMismatchError(SkyError):
    """The task asks for more than the existing cluster has."""


# ----------------------------------------------------------------------------- clusters/jobs
class ClusterDoesNotExistError(SkyError):
    """No cluster of that name is known."""


class ClusterNotUpError(SkyError):
    """The operation needs an UP cluster and this one is not."""


class ClusterOwnedByOtherDriverError(SkyError):
    """A cluster name is reused with a different cloud than the one it lives on."""


class JobNotFoundError(SkyError):
    """No job with that id on the cluster."""


class CommandError(SkyError):
    """A command run on a node failed. Carries the exit code and the output tail for the user."""

    def __init__(self, returncode: int, command: str, error_msg: str, detail: str = "") -> None:
        self.returncode = returncode
        self.command = command
        self.error_msg = error_msg
        self.detail = detail
        text = f"{error_msg} (exit code {returncode})"
        if detail:
            text += f"\n{detail.strip()[-2000:]}"
        super().__init__(text)


# ----------------------------------------------------------------------------- plugins
class PluginError(SkyError):
    """A plugin is broken or violates the contract."""


class PluginConflictError(PluginError):
    """Two distributions claim the same plugin, cloud or store name."""


class UnknownCloudError(TaskValidationError):
    """A cloud name is not provided by any installed plugin."""


# ----------------------------------------------------------------------------- API server
class ApiServerError(SkyError):
    """The API server could not be reached, started, or answered with an HTTP error."""


class ApiServerAuthError(ApiServerError):
    """The server refused the credentials (HTTP 401) or the permission (HTTP 403)."""


class ApiVersionMismatchError(ApiServerError):
    """Client and server speak incompatible API versions; the message says which to upgrade."""


class RequestNotFoundError(SkyError):
    """No API request matches that id (or id prefix)."""


class RequestCancelledError(SkyError):
    """The API request was cancelled (``sky api cancel``, or ``sky down`` of its cluster)."""


class RequestFailedError(SkyError):
    """An API request failed with an error that is not a skycore error (a bug on the server).

    The message carries the server-side traceback so the report is actionable.
    """
