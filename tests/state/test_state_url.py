"""Which database is used, and that its password never shows in an error."""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from skycore import config
from skycore.state import engine
from skycore.state import url as db_url
from skycore.state.errors import StateDatabaseError
from skycore.testing.postgres import PostgresServer, free_port

SECRET = "pw-S3cret-7x"


def test_sky_db_wins_over_config_which_wins_over_the_default(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SKY_HOME", str(tmp_path))
    monkeypatch.delenv("SKY_DB", raising=False)
    assert db_url.db_url() == f"sqlite:///{tmp_path / 'state.db'}"
    config.set_nested(("db",), "postgresql://u:p@db.example:5432/sky")
    assert db_url.db_url() == "postgresql+psycopg://u:p@db.example:5432/sky"
    monkeypatch.setenv("SKY_DB", "sqlite:////elsewhere/x.db")
    assert db_url.db_url() == "sqlite:////elsewhere/x.db"


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_driverless_postgres_urls_get_psycopg3(given: str, expected: str) -> None:
    assert db_url.normalize(given) == expected


def test_mask_hides_raw_and_percent_encoded_passwords() -> None:
    url = "postgresql+psycopg://me:p%40ss-S3cret@h/db"
    text = f"failed for {url} (password p@ss-S3cret, raw p%40ss-S3cret)"
    masked = db_url.mask(text, url)
    assert "S3cret" not in masked and "me:***@h" in masked
    assert db_url.mask("see postgresql://a:b-c@h/x", None) == "see postgresql://a:***@h/x"


def _assert_secret_free(exc: BaseException, *secrets: str) -> None:
    rendered = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)
    for secret in secrets:
        assert secret not in rendered, rendered
    assert exc.__cause__ is None and exc.__suppress_context__


@pytest.mark.parametrize("make_url", [
    # nothing listens there
    lambda: f"postgresql://skyuser:{SECRET}@127.0.0.1:{free_port()}/sky",
    # malformed port
    lambda: f"postgresql://skyuser:{SECRET}@127.0.0.1:notaport/sky",
    # unknown driver
    lambda: f"postgresql+nodriver://skyuser:{SECRET}@127.0.0.1:1/sky",
    # percent-encoded password
    lambda: f"postgresql://skyuser:{SECRET}%40x@127.0.0.1:{free_port()}/sky",
], ids=["refused", "bad-port", "bad-driver", "encoded"])
def test_password_never_in_open_errors(monkeypatch: pytest.MonkeyPatch,
                                       make_url: object) -> None:
    url = make_url()  # type: ignore[operator]
    monkeypatch.setenv("SKY_DB", url)
    engine.reset_engines()
    with pytest.raises(StateDatabaseError) as info:
        engine.get_engine()
    _assert_secret_free(info.value, SECRET, f"{SECRET}@x")
    assert "***" in str(info.value)
    engine.reset_engines()


def test_password_never_in_errors_from_a_real_server(
        monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer) -> None:
    # the server trusts every password; the database does not exist
    url = f"postgresql://postgres:{SECRET}@127.0.0.1:{postgres_server.port}/no_such_db"
    monkeypatch.setenv("SKY_DB", url)
    engine.reset_engines()
    with pytest.raises(StateDatabaseError, match="no_such_db") as info:
        engine.get_engine()
    _assert_secret_free(info.value, SECRET)
    engine.reset_engines()
