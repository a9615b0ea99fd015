"""The Store protocol: buckets used by ``file_mounts`` (served by storage plugins)."""

from __future__ import annotations

import abc


class Store(abc.ABC):
    """An object store type (S3, GCS, ...). Storage mounts arrive with the storage issue; the
    protocol is fixed now so plugins can be written against it."""

    name: str = ""

    @abc.abstractmethod
    def create(self, bucket: str, region: str | None) -> None:
        """Create the bucket if missing (idempotent)."""

    @abc.abstractmethod
    def upload(self, local_path: str, bucket: str, prefix: str = "") -> None:
        """Upload a file or directory."""

    @abc.abstractmethod
    def delete(self, bucket: str) -> None:
        """Delete the bucket and its content."""

    @abc.abstractmethod
    def mount_command(self, bucket: str, mount_path: str, mode: str) -> str:
        """Shell command that mounts (or copies, for COPY) the bucket on a node."""
