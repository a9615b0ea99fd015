"""Every real SkyPilot task YAML of the compatibility corpus parses and round-trips.

The corpus (``shared/compat/skypilot-yaml``, 81 files copied unchanged from SkyPilot's
repository) covers the task-YAML schema as people really write it. If one fails here, the model
is wrong, not the file.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from skycore.errors import TaskValidationError
from skycore.task import Task, load_dag
from skycore.utils.yaml_utils import load_yaml_documents

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "compat" / "skypilot-yaml"

if not CORPUS.is_dir():
    pytest.skip(f"compatibility corpus not found at {CORPUS}", allow_module_level=True)


def _index() -> dict[str, set[str]]:
    """INDEX.tsv: file name → feature tags (its header names the columns)."""
    with (CORPUS / "INDEX.tsv").open(newline="") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return {row["file"]: {t for t in (row.get("features") or "").split(",") if t}
                for row in rows}


INDEX = _index()
FILES = sorted(p.name for p in CORPUS.glob("*.yaml"))


def _null_values(path: Path, section: str) -> dict[str, str]:
    """A stand-in value for every null entry of ``envs``/``secrets`` in any document."""
    out: dict[str, str] = {}
    for doc in load_yaml_documents(path.read_bytes(), path.name):
        values = (doc or {}).get(section)
        if isinstance(values, dict):
            out.update({str(k): f"test-{k.lower()}" for k, v in values.items() if v is None})
    return out


def _overrides(name: str) -> tuple[dict[str, str], dict[str, str]]:
    path = CORPUS / name
    envs = _null_values(path, "envs") if "env_null" in INDEX.get(name, set()) else {}
    return envs, _null_values(path, "secrets")


def test_index_lists_every_file() -> None:
    assert len(FILES) == 81
    assert set(FILES) == set(INDEX)


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_parses_and_round_trips(name: str) -> None:
    env_overrides, secret_overrides = _overrides(name)
    dag = load_dag(CORPUS / name, env_overrides=env_overrides,
                   secret_overrides=secret_overrides)
    assert dag.tasks, f"{name} produced no tasks"
    for task in dag.tasks:
        assert task.resources, f"{name}: a task without resource candidates"
        assert task.envs.keys() >= env_overrides.keys()
        config: dict[str, Any] = task.to_yaml_config(redact_secrets=False)
        again = Task.from_yaml_config(config)
        assert again.to_yaml_config(redact_secrets=False) == config
        assert again == task


@pytest.mark.parametrize("name", [n for n in FILES if "env_null" in INDEX.get(n, set())])
def test_null_envs_need_overrides(name: str) -> None:
    with pytest.raises(TaskValidationError, match="is None"):
        load_dag(CORPUS / name)


def test_pipelines_are_chains() -> None:
    pipelines = [n for n in FILES if "pipeline" in INDEX.get(n, set())]
    assert pipelines
    for name in pipelines:
        dag = load_dag(CORPUS / name)
        assert len(dag.tasks) > 1 and dag.is_chain()


def test_redacted_dump_hides_secrets() -> None:
    for name in FILES:
        env_overrides, secret_overrides = _overrides(name)
        for task in load_dag(CORPUS / name, env_overrides=env_overrides,
                             secret_overrides=secret_overrides).tasks:
            secrets = task.to_yaml_config().get("secrets", {})
            assert all(v == "<redacted>" for v in secrets.values())
