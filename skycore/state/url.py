"""Which database holds the state, and how to show its URL without leaking the password.

Resolution order: ``SKY_DB`` (tests, CI, containers), then ``db:`` in ``SKY_HOME/config.yaml``
(the server's persistent setting), then SQLite at ``SKY_HOME/state.db``.

Why normalize ``postgresql://``: users paste the libpq form; SQLAlchemy would pick the psycopg2
driver for it, which is not installed. We ship psycopg 3, so the driverless forms get
``postgresql+psycopg://``; an explicit driver is left alone.

Why masking lives here: a URL with a password ends up in error messages (connection refused, a
newer schema, a bad URL) and those reach the CLI, logs and request records. Every message the
state layer builds goes through :func:`mask`, which hides the password wherever it appears.

No SQLAlchemy import at module level: ``sky --help`` and the client must stay light.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

from skycore import paths

ENV_VAR = "SKY_DB"
_DRIVERLESS_PG = re.compile(r"^(postgresql|postgres)://", re.IGNORECASE)
_USERINFO_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)")


def db_url() -> str:
    """The configured state database URL, normalized (see module docstring)."""
    url = os.environ.get(ENV_VAR)
    if not url:
        from skycore import config

        url = config.get_nested(("db",))
    if not url:
        return f"sqlite:///{paths.sky_home() / 'state.db'}"
    return normalize(str(url).strip())


def normalize(url: str) -> str:
    return _DRIVERLESS_PG.sub("postgresql+psycopg://", url, count=1)


def is_postgres(url: str) -> bool:
    return url.lower().startswith(("postgresql", "postgres"))


def is_sqlite(url: str) -> bool:
    return url.lower().startswith("sqlite")


def sqlite_path(url: str) -> str | None:
    """The file behind a SQLite URL (``None`` for an in-memory database)."""
    path = url.split("://", 1)[1][1:] if "://" in url else ""
    path = path.split("?", 1)[0]
    return path if path and path != ":memory:" else None


def password_of(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:  # a malformed port etc.: fall back to the raw userinfo
        match = _USERINFO_PASSWORD.search(url)
        password = match.group(2) if match else None
    return password or None


def mask(text: str, url: str | None = None) -> str:
    """``text`` with the password of ``url`` (raw and percent-decoded) replaced by ``***``.

    Also masks any ``scheme://user:password@`` userinfo in ``text`` itself, so a message that
    quotes some other URL is safe too.
    """
    password = password_of(url) if url else None
    if password:
        for secret in {password, unquote(password)}:
            if secret:
                text = text.replace(secret, "***")
    return _USERINFO_PASSWORD.sub(r"\1***\3", text)
