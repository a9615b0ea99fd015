"""Errors of the state database, with the URL's password already masked.

Why a wrapper and not the driver's exception: psycopg and SQLAlchemy messages may quote the
connection string, and a chained traceback would carry it along. :func:`database_error` builds a
clean :class:`StateDatabaseError` whose message, ``repr`` and (absent) cause hold no password.
"""

from __future__ import annotations

from skycore.errors import SkyError
from skycore.state import url as db_url


class StateDatabaseError(SkyError):
    """The state database cannot be used: unreachable, misconfigured or too new."""


def database_error(message: str, url: str, exc: BaseException | None = None) -> StateDatabaseError:
    """A masked error naming the (masked) database; raise it ``from None``."""
    detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
    where = db_url.mask(url, url)
    return StateDatabaseError(db_url.mask(f"{message} ({where}){detail}", url))
