"""``sky gpus list`` / ``sky show-gpus`` end to end: CLI -> SDK -> a real local API server ->
the catalog engine over the sky-testclouds catalogs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from skycore.client.cli.main import cli

pytest.importorskip("sky_testclouds")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """An isolated SKY_HOME and port; the server the client auto-starts there has the test
    clouds enabled (a server only sees the environment it was started with)."""
    from skycore.testing.api_server import free_port, stop_server_of

    home = tmp_path_factory.mktemp("gpus") / "sky_home"
    values = {"SKY_HOME": str(home), "SKYCORE_TESTCLOUDS": "1",
              "SKYPILOT_API_SERVER_LOCAL_PORT": str(free_port())}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        stop_server_of(home)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_sky_console_script_lists_common_gpus(env: dict[str, str]) -> None:
    sky = Path(sys.executable).with_name("sky")
    proc = subprocess.run([str(sky), "gpus", "list"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("COMMON_GPU"))
    assert lines[header].split() == ["COMMON_GPU", "AVAILABLE_QUANTITIES"]
    rows = {line.split()[0]: line.split(None, 1)[1] for line in lines[header + 1:]
            if line and not line.startswith(("GOOGLE_TPU", "Hint")) and "tpu-" not in line}
    assert rows["A100"] == "1, 2, 4, 8, 16"  # Lambda 1/2/4/8, GCP 1..16, AWS 8
    assert rows["H200"] == "8"
    assert any(line.startswith("GOOGLE_TPU") for line in lines)
    assert "Hint: use -a/--all" in proc.stdout
    assert "OTHER_GPU" not in proc.stdout


def test_all_shows_other_gpus(env: dict[str, str]) -> None:
    code, out = _run(env, "gpus", "list", "--all")
    assert code == 0
    other = out[out.index("OTHER_GPU"):]
    assert "MI300X" in other and "tpu-v4-8" in other and "A100 " not in other


def test_one_accelerator_table_per_matching_name(env: dict[str, str]) -> None:
    code, out = _run(env, "gpus", "list", "A100:8")
    assert code == 0
    tables = [t for t in out.strip().split("\n\n") if t.strip()]
    headers = [t.splitlines()[0].split() for t in tables]
    assert headers[0] == ["GPU", "QTY", "CLOUD", "INSTANCE_TYPE", "DEVICE_MEM", "vCPUs",
                          "HOST_MEM", "HOURLY_PRICE", "HOURLY_SPOT_PRICE", "REGION"]
    first = [line.split() for line in tables[0].splitlines()[1:]]
    assert {r[0] for r in first} == {"A100"} and {r[1] for r in first} == {"8"}
    assert {r[2] for r in first} == {"Lambda", "GCP", "AWS"}
    gcp = next(r for r in first if r[2] == "GCP")
    assert gcp[3] == "a2-highgpu-8g" and gcp[4] == "40GB"  # the fixed host, summed price
    assert any(t.splitlines()[1].startswith("A100-80GB ") for t in tables[1:])


def test_attachable_and_all_regions(env: dict[str, str]) -> None:
    code, out = _run(env, "gpus", "list", "T4:1", "--infra", "gcp")
    assert code == 0
    rows = [line.split() for line in out.strip().splitlines()[1:]]
    assert rows and all(r[3] == "(attachable)" for r in rows)
    assert len(rows) == 1  # cheapest region only
    code, out = _run(env, "gpus", "list", "T4:1", "--infra", "gcp", "--all-regions")
    regions = [line.split()[-1] for line in out.strip().splitlines()[1:]]
    assert code == 0 and len(regions) > 10 and len(set(regions)) == len(regions)


def test_usage_errors_and_unknown_names(env: dict[str, str]) -> None:
    code, out = _run(env, "gpus", "list", "A100", "--all")
    assert code == 2 and "--all is only allowed without a GPU name" in out
    code, out = _run(env, "gpus", "list", "--all-regions")
    assert code == 2
    code, out = _run(env, "gpus", "list", "A100:zero")
    assert code == 2 and "Invalid accelerator quantity" in out
    code, out = _run(env, "gpus", "list", "A1000")
    assert code == 0 and "not found in cloud catalogs" in out and "'A100'" in out


def test_infra_resolves_aliases_and_rejects_unknown_clouds(env: dict[str, str]) -> None:
    code, out = _run(env, "gpus", "list", "V100", "--infra", "lambda-cloud")
    assert code == 0 and " Lambda " in out and " GCP " not in out
    result = CliRunner().invoke(cli, ["gpus", "list", "--infra", "gpc"], env=env)
    assert result.exit_code == 1
    assert "Unknown cloud 'gpc'" in result.output and "gcp" in result.output


def test_show_gpus_is_the_deprecated_alias(env: dict[str, str]) -> None:
    code, out = _run(env, "show-gpus", "H200")
    assert code == 0 and "a3-ultragpu-8g" in out and "deprecated" in out
