"""Errors across the HTTP boundary: an exception becomes JSON on the server and the same class
again on the client.

Why not pickle (as SkyPilot does): the client would unpickle whatever a server sends. Only
classes of :mod:`skycore.errors` are rebuilt, from their message and JSON-able attributes;
anything else (a bug on the server) arrives as ``RequestFailedError`` with the traceback.
"""

from __future__ import annotations

import traceback
from typing import Any

from skycore import errors


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def encode(exc: BaseException) -> dict[str, Any]:
    """``{"type", "message", "attrs", "traceback"}`` for ``exc`` (its history nested)."""
    attrs: dict[str, Any] = {}
    for key, value in vars(exc).items():
        if key == "history" and isinstance(value, list):
            attrs[key] = [encode(e) for e in value if isinstance(e, BaseException)]
        elif _jsonable(value) or (isinstance(value, (list, tuple))
                                  and all(_jsonable(v) for v in value)):
            attrs[key] = value
    is_ours = isinstance(exc, errors.SkyError) and type(exc).__module__ == errors.__name__
    return {
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "message": str(exc),
        "attrs": attrs,
        "traceback": None if is_ours else "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


def decode(data: dict[str, Any]) -> Exception:
    """The exception ``encode`` described (``RequestFailedError`` for foreign classes)."""
    cls = getattr(errors, str(data.get("type")), None)
    message = str(data.get("message", ""))
    if (data.get("module") != errors.__name__ or not isinstance(cls, type)
            or not issubclass(cls, errors.SkyError)):
        detail = data.get("traceback") or f"{data.get('type')}: {message}"
        return errors.RequestFailedError(
            f"The request failed on the API server with {data.get('type')}: {message}\n"
            f"{detail}".rstrip())
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    attrs = dict(data.get("attrs") or {})
    if "history" in attrs:
        attrs["history"] = [decode(e) for e in attrs["history"]]
    exc.__dict__.update(attrs)
    return exc
