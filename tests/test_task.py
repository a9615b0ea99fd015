"""Task parsing: SkyPilot's test_yaml_parser and test_task behaviour, plus our API."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from skycore.errors import TaskValidationError
from skycore.resources import Resources
from skycore.task import REDACTED, Dag, Task, load_dag, substitute_env_vars


def from_text(text: str, **kwargs: object) -> Task:
    dag = load_dag(textwrap.dedent(text), is_text=True, **kwargs)  # type: ignore[arg-type]
    assert len(dag.tasks) == 1
    return dag.tasks[0]


def write(tmp_path: Path, text: str, name: str = "task.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# ----------------------------------------------------------------------------- test_yaml_parser
def test_empty_fields_task(tmp_path: Path) -> None:
    task = Task.from_yaml(write(tmp_path, """\
        name: task
        resources:
        workdir: examples/
        file_mounts:
        setup: echo "Running setup."
        num_nodes:
        run:
          # commented out, empty run
        """))
    assert task.name == "task"
    assert task.resources == [Resources()] and task.resources[0].is_empty()
    assert not task.file_mounts and not task.storage_mounts
    assert task.run is None
    assert task.setup == 'echo "Running setup."'
    assert task.num_nodes == 1
    assert task.workdir == "examples/"  # parsing never touches the filesystem


def test_invalid_top_level_field_named_with_suggestion() -> None:
    with pytest.raises(TaskValidationError) as e:
        from_text("name: task\n\nnot_a_valid_field:\n")
    assert e.value.field == "not_a_valid_field"
    assert "unknown task field" in str(e.value)
    with pytest.raises(TaskValidationError, match="Did you mean 'file_mounts'"):
        from_text("file_mount:\n  /a: b\n")
    with pytest.raises(TaskValidationError, match="Did you mean 'envs'"):
        from_text("env:\n  A: b\n")


def test_empty_fields_resources() -> None:
    task = from_text("""\
        resources:
            cloud:
            region:
            accelerators: V100:1
            disk_size:
            use_spot:
            cpus: 32
        """)
    r = task.resources[0]
    assert r.cloud is None and r.region is None
    assert r.accelerators == {"V100": 1}
    assert r.disk_size == 256
    assert r.use_spot is False
    assert r.cpus == "32"


def test_gpu_resources() -> None:
    assert from_text("resources:\n    gpus: V100:1\n").resources[0].accelerators == {"V100": 1}


def test_both_gpus_and_accelerators_raises_config_error() -> None:
    with pytest.raises(TaskValidationError) as e:
        from_text("resources:\n    accelerators: V100:1\n    gpus: [T4:4, V100:8]\n")
    assert e.value.args[0] == "Cannot specify both gpus and accelerators in config."


def test_invalid_fields_resources() -> None:
    with pytest.raises(TaskValidationError) as e:
        from_text("resources:\n    cloud: aws\n    not_a_valid_field:\n")
    assert e.value.field == "resources.not_a_valid_field"


def test_empty_fields_storage() -> None:
    task = from_text("""\
        file_mounts:
            /mystorage:
                name: sky-dataset
                source:
                store:
                persistent:
        """)
    assert task.storage_mounts == {"/mystorage": {"name": "sky-dataset"}}
    assert task.file_mounts == {}


def test_invalid_fields_storage() -> None:
    with pytest.raises(TaskValidationError) as e:
        from_text("""\
            file_mounts:
                /datasets-storage:
                    name: sky-dataset
                    not_a_valid_field:
            """)
    assert e.value.field == "file_mounts./datasets-storage.not_a_valid_field"
    assert "storage" in str(e.value)


def test_storage_needs_name_or_source_and_valid_mode() -> None:
    with pytest.raises(TaskValidationError, match="name .bucket. or a source"):
        from_text("file_mounts:\n  /d:\n    mode: MOUNT\n")
    with pytest.raises(TaskValidationError, match="MOUNT, COPY, MOUNT_CACHED"):
        from_text("file_mounts:\n  /d:\n    name: b\n    mode: SYNC\n")
    task = from_text("file_mounts:\n  /d:\n    name: b\n    mode: mount\n    store: S3\n")
    assert task.storage_mounts["/d"] == {"name": "b", "mode": "MOUNT", "store": "s3"}


def test_invalid_envs_key() -> None:
    with pytest.raises(ValueError) as e:
        from_text("envs:\n    invalid_env_$_key: value\n")
    assert "does not match any of the regexes:" in e.value.args[0]


def test_invalid_envs_type() -> None:
    with pytest.raises(ValueError) as e:
        from_text("envs:\n    - env_key1: abc\n    - env_key2: abc\n")
    assert "is not of type 'dict'" in e.value.args[0]


def test_invalid_empty_envs() -> None:
    with pytest.raises(TaskValidationError) as e:
        from_text("envs:\n    env_key1: abc\n    env_key2:\n")
    assert "Environment variable 'env_key2' is None." in e.value.args[0]
    assert "--env env_key2=value" in str(e.value)
    assert e.value.field == "envs.env_key2"


def test_null_env_filled_by_override() -> None:
    task = from_text("envs:\n  HF_TOKEN:\n", env_overrides={"HF_TOKEN": "abc"})
    assert task.envs == {"HF_TOKEN": "abc"}


def test_replace_envs_in_workdir(tmp_path: Path) -> None:
    task = from_text(f"envs:\n    env_key1: {tmp_path}\nworkdir: $env_key1\n")
    assert task.workdir == str(tmp_path)


def test_inner_any_of_error_surfaces() -> None:
    with pytest.raises(TaskValidationError) as e:
        from_text('resources:\n  autostop:\n    idle_minutes: "ten"\n')
    assert "integer" in str(e.value)


def test_relative_mount_destinations_accepted() -> None:
    task = from_text("file_mounts:\n  relative_dir: ~/x\n  ./dotslash: ~/y\n")
    assert task.file_mounts == {"relative_dir": "~/x", "./dotslash": "~/y"}


def test_duplicate_keys_rejected(tmp_path: Path) -> None:
    with pytest.raises(TaskValidationError, match="Duplicate key 'run'"):
        Task.from_yaml(write(tmp_path, "run: a\nsetup: b\nrun: c\n"))
    with pytest.raises(TaskValidationError, match="Duplicate key 'cpus'"):
        Task.from_yaml(write(tmp_path, "resources:\n  cpus: 1\n  cpus: 2\n"))
    with pytest.raises(TaskValidationError, match="Duplicate key 'A'"):
        Task.from_yaml(write(tmp_path, "envs:\n  A: 1\n  A: 2\n"))


def test_binary_file_handled(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(TaskValidationError, match="binary|UTF-8"):
        load_dag(path)


@pytest.mark.parametrize("text", ["", "null\n", "# just a comment\n"])
def test_null_yaml_is_an_empty_task(tmp_path: Path, text: str) -> None:
    dag = load_dag(write(tmp_path, text))
    assert len(dag.tasks) == 1
    task = dag.tasks[0]
    assert task.run is None and task.num_nodes == 1 and task.resources == [Resources()]


def test_yaml_that_is_a_string_is_an_error() -> None:
    with pytest.raises(TaskValidationError, match="must be a YAML mapping"):
        load_dag("task.yaml", is_text=True)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(TaskValidationError, match="does not exist"):
        load_dag(tmp_path / "nope.yaml")
    with pytest.raises(TaskValidationError, match="directory"):
        load_dag(tmp_path)


# ----------------------------------------------------------------------------- fields
@pytest.mark.parametrize("name", ["task", "my-task", "a.b", "a__b", "t1-2_3", "tpuvm_mnist"])
def test_valid_names(name: str) -> None:
    assert Task(name=name).name == name


@pytest.mark.parametrize("name", ["-a", "a-", "a---b", "a b", "ä", "a/b", ""])
def test_invalid_names(name: str) -> None:
    with pytest.raises(TaskValidationError) as e:
        Task(name=name)
    assert e.value.field == "name"


def test_numeric_name_needs_quotes() -> None:
    with pytest.raises(TaskValidationError, match="quote"):
        from_text("name: 123\n")


@pytest.mark.parametrize("value", [0, -1, "2", 1.5, True])
def test_num_nodes_positive_int(value: object) -> None:
    with pytest.raises(TaskValidationError, match="num_nodes should be a positive int"):
        Task(num_nodes=value)  # type: ignore[arg-type]


def test_env_and_secret_values_coerced_to_str() -> None:
    task = from_text("""\
        envs:
          PORT: 8080
          DEBUG: true
          RATIO: 0.5
        secrets:
          NUM: 456
          FLAG: True
          EMPTY: ''
        """)
    assert task.envs == {"PORT": "8080", "DEBUG": "True", "RATIO": "0.5"}
    assert task.secrets == {"NUM": "456", "FLAG": "True", "EMPTY": ""}


def test_env_value_must_be_scalar() -> None:
    with pytest.raises(TaskValidationError, match="must be a string"):
        from_text("envs:\n  A: [1, 2]\n")


def test_null_secret_is_a_managed_reference() -> None:
    task = from_text("secrets:\n  API_KEY: null\n")
    assert task.secrets == {"API_KEY": None}
    assert task.managed_secret_refs == ["API_KEY"]
    assert "managed_secrets" in task.unbuilt_capabilities()
    filled = from_text("secrets:\n  API_KEY: null\n", secret_overrides={"API_KEY": "k"})
    assert filled.secrets == {"API_KEY": "k"} and not filled.managed_secret_refs


def test_secrets_list_form_and_null_section() -> None:
    assert from_text("secrets: [A, 'secrets:B']\n").secrets == {"A": None, "B": None}
    assert from_text("secrets:\nrun: x\n").secrets == {}
    with pytest.raises(TaskValidationError, match="regexes"):
        from_text("secrets: ['bad-name']\n")


def test_secrets_override_envs() -> None:
    task = Task(envs={"SHARED": "env", "ENV_ONLY": "e"},
                secrets={"SHARED": "secret", "SECRET_ONLY": "s"})
    assert task.envs_and_secrets == {"SHARED": "secret", "ENV_ONLY": "e", "SECRET_ONLY": "s"}


def test_secret_overrides_and_env_overrides_are_added() -> None:
    task = from_text("envs:\n  A: '1'\n", env_overrides={"B": "2"},
                     secret_overrides={"TOKEN": "t"})
    assert task.envs == {"A": "1", "B": "2"}
    assert task.secrets == {"TOKEN": "t"}
    with pytest.raises(TaskValidationError, match="regexes"):
        from_text("run: x\n", env_overrides={"1BAD": "x"})


def test_substitution_scope() -> None:
    task = from_text("""\
        envs:
          BUCKET: my-bucket
          SIZE: 13b
        secrets:
          TOKEN: s3cr3t
        workdir: ~/code/$SIZE
        file_mounts:
          /ckpt/${SIZE}: ~/${SIZE}
          /data:
            name: ${BUCKET}-2
            source: ["~/$SIZE"]
            mode: MOUNT
          /other: $UNKNOWN_VAR
        service:
          readiness_probe:
            path: /health
            post_data: {model: $BUCKET, token: $TOKEN}
          replicas: 1
        volumes:
          /mnt/v: $BUCKET-vol
        setup: echo $BUCKET
        run: echo ${SIZE}
        """)
    assert task.workdir == "~/code/13b"
    assert task.file_mounts == {"/ckpt/13b": "~/13b", "/other": "$UNKNOWN_VAR"}
    assert task.storage_mounts["/data"] == {"name": "my-bucket-2", "source": ["~/13b"],
                                            "mode": "MOUNT"}
    assert task.service["readiness_probe"]["post_data"] == {"model": "my-bucket",
                                                            "token": "s3cr3t"}
    assert task.volumes == {"/mnt/v": "my-bucket-vol"}
    assert task.setup == "echo $BUCKET" and task.run == "echo ${SIZE}"


def test_substitute_env_vars_word_boundaries() -> None:
    values = {"A": "1", "AB": "2"}
    assert substitute_env_vars("$A $AB ${A}x $ABC $A-b $$A", values) == "1 2 1x $ABC 1-b $1"
    assert substitute_env_vars({"$A": ["$AB", 3]}, values) == {"1": ["2", 3]}
    assert substitute_env_vars('"$A"\\', {"A": 'q"uote'}) == '"q"uote"\\'


def test_run_list_is_joined() -> None:
    assert Task(run=["echo a", "echo b"]).run == "echo a\necho b"  # type: ignore[arg-type]
    assert from_text("run:\n  - echo a\n  - echo b\n").run == "echo a\necho b"
    with pytest.raises(TaskValidationError, match="run"):
        from_text("run: {a: b}\n")


def test_workdir_git_form() -> None:
    task = from_text("workdir:\n  url: https://github.com/org/repo.git\n  ref: main\n")
    assert task.workdir == {"url": "https://github.com/org/repo.git", "ref": "main"}
    assert "git-url workdir" in task.unbuilt_capabilities()
    with pytest.raises(TaskValidationError, match="workdir.url"):
        from_text("workdir:\n  ref: main\n")
    with pytest.raises(TaskValidationError, match="Did you mean 'url'"):
        from_text("workdir:\n  ur: x\n")


def test_file_mount_shapes() -> None:
    with pytest.raises(TaskValidationError, match="not a cloud URL"):
        from_text("file_mounts:\n  s3://bucket: /local\n")
    with pytest.raises(TaskValidationError, match="source must be"):
        from_text("file_mounts:\n  /a:\n")
    with pytest.raises(TaskValidationError, match="source must be"):
        from_text("file_mounts:\n  /a: [x]\n")


def test_service_and_pool() -> None:
    task = from_text("service:\n  readiness_probe: /health\n  replicas: 2\nrun: x\n")
    assert task.service == {"readiness_probe": "/health", "replicas": 2}
    assert from_text("pool:\n  workers: 4\n").pool == {"workers": 4}
    with pytest.raises(TaskValidationError, match="both service and pool"):
        from_text("service:\n  replicas: 1\npool:\n  workers: 1\n")
    with pytest.raises(TaskValidationError, match="Did you mean 'replicas'"):
        from_text("service:\n  replica: 1\n")
    with pytest.raises(TaskValidationError, match="readiness_probe.path"):
        from_text("service:\n  readiness_probe: {initial_delay_seconds: 5}\n")
    with pytest.raises(TaskValidationError, match="Did you mean 'min_replicas'"):
        from_text("service:\n  replica_policy: {min_replica: 1}\n")


def test_config_allow_list() -> None:
    task = from_text("config:\n  kubernetes:\n    pod_config: {spec: {}}\n"
                     "  hooks:\n    - run: echo bye\n      events: [stop]\n")
    assert task.config["kubernetes"] == {"pod_config": {"spec": {}}}
    with pytest.raises(TaskValidationError, match="config.kubernetes.pod_confg"):
        from_text("config:\n  kubernetes:\n    pod_confg: {}\n")
    with pytest.raises(TaskValidationError, match="config.aws"):
        from_text("config:\n  aws:\n    vpc_name: x\n")
    with pytest.raises(TaskValidationError, match="events"):
        from_text("config:\n  hooks:\n    - run: x\n      events: [reboot]\n")


def test_volumes_inputs_outputs() -> None:
    task = from_text("volumes:\n  /mnt/a: vol-a\n  /mnt/b: {size: 1Gi, labels: {k: v}}\n"
                     "inputs: {gs://bucket: 70}\noutputs: {out: 0.1}\n")
    assert task.volumes == {"/mnt/a": "vol-a", "/mnt/b": {"size": "1Gi", "labels": {"k": "v"}}}
    assert task.inputs == {"gs://bucket": 70} and task.outputs == {"out": 0.1}
    with pytest.raises(TaskValidationError, match="one entry"):
        from_text("inputs: {a: 1, b: 2}\n")
    with pytest.raises(TaskValidationError, match="Did you mean 'size'"):
        from_text("volumes:\n  /mnt/a: {sise: 1Gi}\n")


def test_managed_secrets_forms() -> None:
    task = from_text("managed_secrets:\n  - A\n  - B: {mount_path: /etc/b}\n")
    assert task.managed_secret_refs == ["A", "B"]
    with pytest.raises(TaskValidationError, match="managed_secrets"):
        from_text("managed_secrets: A\n")


def test_candidates_must_share_autostop() -> None:
    with pytest.raises(TaskValidationError, match="same autostop"):
        from_text("resources:\n  any_of:\n    - autostop: 5\n    - autostop: 10\n")
    task = from_text("resources:\n  autostop: 5\n  any_of:\n    - infra: aws\n"
                     "    - infra: gcp\n")
    assert {r.autostop.idle_minutes for r in task.resources} == {5}


def test_resources_candidates_and_order() -> None:
    task = from_text("resources:\n  accelerators: [A100:1, T4:1]\n")
    assert task.resources_ordered and [r.accelerator_name for r in task.resources] == [
        "A100", "T4"]
    task = from_text("resources:\n  accelerators: {A100:1, T4:1}\n")
    assert not task.resources_ordered and len(task.resources) == 2


# ----------------------------------------------------------------------------- pipelines
def test_pipeline_with_name_header(tmp_path: Path) -> None:
    dag = load_dag(write(tmp_path, """\
        name: pipe
        ---
        name: a
        run: echo a
        ---
        name: b
        run: echo b
        """))
    assert dag.name == "pipe"
    assert [t.name for t in dag.tasks] == ["a", "b"]
    assert dag.is_chain() and len(dag) == 2 and list(dag) == dag.tasks


def test_pipeline_without_header_and_overrides_apply_to_all() -> None:
    dag = load_dag("envs: {A: null}\nrun: a\n---\nenvs: {A: null}\nrun: b\n", is_text=True,
                   env_overrides={"A": "x"})
    assert dag.name is None
    assert [t.envs for t in dag.tasks] == [{"A": "x"}, {"A": "x"}]


def test_single_task_names_the_dag() -> None:
    assert load_dag("name: solo\nrun: x\n", is_text=True).name == "solo"


def test_pipeline_error_names_the_document() -> None:
    with pytest.raises(TaskValidationError, match="task 2 of 2.*num_nodes"):
        load_dag("name: p\n---\nrun: a\n---\nnum_nodes: 0\n", is_text=True)


def test_dag_to_yaml_documents() -> None:
    dag = load_dag("name: p\n---\nrun: a\n---\nrun: b\n", is_text=True)
    docs = dag.to_yaml_documents()
    assert docs == [{"name": "p"}, {"run": "a"}, {"run": "b"}]
    assert isinstance(Dag(), Dag) and Dag().is_chain()


# ----------------------------------------------------------------------------- API
def test_from_command() -> None:
    task = Task.from_command("echo hi")
    assert task.name == "sky-cmd" and task.run == "echo hi"
    assert task.to_yaml_config() == {"name": "sky-cmd", "run": "echo hi"}


def test_to_yaml_config_without_envs() -> None:
    config = Task(run="echo hello").to_yaml_config()
    assert "envs" not in config and "secrets" not in config
    assert config == Task(run="echo hello").to_yaml_config(redact_secrets=False)


def test_secrets_redacted_in_yaml_and_repr() -> None:
    task = Task(run="echo", envs={"DEBUG": "true"},
                secrets={"API_KEY": "secret123", "EMPTY": "", "MANAGED": None})
    redacted = task.to_yaml_config()
    assert redacted["secrets"] == {"API_KEY": REDACTED, "EMPTY": REDACTED, "MANAGED": REDACTED}
    assert redacted["envs"] == {"DEBUG": "true"}
    plain = task.to_yaml_config(redact_secrets=False)
    assert plain["secrets"] == {"API_KEY": "secret123", "EMPTY": "", "MANAGED": None}
    assert {k: v for k, v in plain.items() if k != "secrets"} == {
        k: v for k, v in redacted.items() if k != "secrets"}
    assert "secret123" not in repr(task) and "secret123" not in str(task)
    assert REDACTED in repr(task)
    assert "secrets" not in Task(run="x", secrets={}).to_yaml_config()


def test_to_yaml_config_round_trip() -> None:
    text = """\
        name: rt
        workdir: .
        num_nodes: 2
        resources:
          infra: aws/us-east-1
          accelerators: {A100: 8, H100: 8}
          use_spot: true
          ports: 8080
        envs:
          A: 1
        secrets:
          S: x
        file_mounts:
          /a: ~/a
          /b:
            name: bucket
            mode: MOUNT
        setup: pip install x
        run: |
          echo a
          echo b
        config:
          docker:
            run_options: [--shm-size=1g]
        """
    task = from_text(text)
    config = task.to_yaml_config(redact_secrets=False)
    again = Task.from_yaml_config(config)
    assert again.to_yaml_config(redact_secrets=False) == config
    assert again == task
    assert config["num_nodes"] == 2 and config["envs"] == {"A": "1"}
    assert config["resources"]["any_of"][0]["accelerators"] == {"A100": 8}


def test_with_overrides_resources_apply_to_every_candidate() -> None:
    task = from_text("resources:\n  accelerators: {A100: 1, V100: 1}\n  cpus: 2\n")
    new = task.with_overrides(cpus="8+", infra="gcp/us-central1", use_spot=True, disk_size=100,
                              ports="8000,9000", image_id="docker:ubuntu", num_nodes=3,
                              name="renamed", memory=32)
    assert new.num_nodes == 3 and new.name == "renamed"
    assert len(new.resources) == 2
    for r in new.resources:
        assert (r.cpus, r.memory, r.cloud, r.region, r.use_spot, r.disk_size, r.ports,
                r.image_id) == ("8+", "32", "gcp", "us-central1", True, 100, ["8000", "9000"],
                                "docker:ubuntu")
    assert task.resources[0].cpus == "2"  # the original is untouched


def test_with_overrides_gpus_forms() -> None:
    task = from_text("resources:\n  accelerators: {A100: 1, V100: 1}\n")
    single = task.with_overrides(gpus="H100:8")
    assert [r.accelerators for r in single.resources] == [{"H100": 8}]
    ordered = Task().with_overrides(gpus="[A100:8, V100:8]")
    assert ordered.resources_ordered and len(ordered.resources) == 2
    with pytest.raises(TaskValidationError, match='The "accelerators" field as a str'):
        Task().with_overrides(gpus="A100:x")
    with pytest.raises(TaskValidationError, match="positive"):
        Task().with_overrides(gpus="A100:0")


def test_with_overrides_validates() -> None:
    with pytest.raises(TaskValidationError):
        Task().with_overrides(cpus="lots")
    with pytest.raises(TaskValidationError, match="num_nodes"):
        Task().with_overrides(num_nodes=0)
    with pytest.raises(TaskValidationError, match="infra"):
        Task().with_overrides(infra="a//b")
    with pytest.raises(TaskValidationError, match="name"):
        Task().with_overrides(name="bad name")


def test_with_overrides_envs_resubstitute() -> None:
    task = from_text("envs:\n  BUCKET: old\nfile_mounts:\n  /d:\n    name: $BUCKET\n"
                     "workdir: ~/$BUCKET\n")
    new = task.with_overrides(envs={"BUCKET": "new", "EXTRA": 1})  # type: ignore[dict-item]
    assert new.envs == {"BUCKET": "new", "EXTRA": "1"}
    assert new.storage_mounts == {"/d": {"name": "new"}}
    assert new.workdir == "~/new"
    assert task.storage_mounts == {"/d": {"name": "old"}}
    with pytest.raises(TaskValidationError, match="regexes"):
        task.with_overrides(envs={"bad-key": "x"})


def test_with_overrides_workdir() -> None:
    assert Task().with_overrides(workdir="/tmp").workdir == "/tmp"
    assert Task().with_overrides(workdir={"url": "https://x/y.git"}).workdir == {
        "url": "https://x/y.git"}


def test_unbuilt_capabilities() -> None:
    task = from_text("""\
        service:
          replicas: 1
        resources:
          job_recovery: failover
        file_mounts:
          /s3: s3://bucket/path
          /b:
            name: bucket
        volumes:
          /mnt: v
        managed_secrets: [A]
        """)
    assert task.unbuilt_capabilities() == [
        "service", "storage file_mounts (bucket mounts)", "cloud-URL file_mount sources",
        "volumes", "job_recovery", "managed_secrets"]
    assert Task(run="echo").unbuilt_capabilities() == []
    assert from_text("pool: {workers: 1}\n").unbuilt_capabilities() == ["pool"]


# ----------------------------------------------------------------------------- launch checks
def test_validate_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Task().validate_local_paths()
    with pytest.raises(TaskValidationError, match="does not exist"):
        Task(workdir="/nonexistent/path").validate_local_paths()
    a_file = tmp_path / "f"
    a_file.write_text("x")
    with pytest.raises(TaskValidationError, match="not a directory"):
        Task(workdir=str(a_file)).validate_local_paths()
    task = Task(workdir=str(tmp_path))
    task.validate_local_paths()
    assert task.workdir == str(tmp_path)
    task = Task(workdir="~")
    task.validate_local_paths()
    assert task.workdir == os.path.expanduser("~")
    monkeypatch.chdir(tmp_path)
    task = Task(workdir=".")
    task.validate_local_paths()
    assert task.workdir == str(tmp_path)


def test_validate_file_mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    task = Task(file_mounts={"/remote": str(a_file), "/remote-home": "~", "/remote-curr": ".",
                             "/s3": "s3://my-bucket/path", "/gs": "gs://b/p",
                             "relative_dir": str(tmp_path), "./dotslash_dir": str(tmp_path)})
    task.validate_local_paths()
    assert task.file_mounts == {
        "/remote": str(a_file), "/remote-home": os.path.expanduser("~"),
        "/remote-curr": str(tmp_path), "/s3": "s3://my-bucket/path", "/gs": "gs://b/p",
        "~/sky_workdir/relative_dir": str(tmp_path), "~/sky_workdir/dotslash_dir": str(tmp_path),
    }
    with pytest.raises(TaskValidationError, match="does not exist"):
        Task(file_mounts={"/remote": "/nonexistent/path"}).validate_local_paths()
    with pytest.raises(TaskValidationError, match="cannot end with a slash"):
        Task(file_mounts={"/remote/": str(tmp_path)}).validate_local_paths()
    with pytest.raises(TaskValidationError, match="cannot end with a slash"):
        Task(file_mounts={"/remote": str(tmp_path) + "/"}).validate_local_paths()


def test_mount_onto_workdir_rejected(tmp_path: Path) -> None:
    for dst in ("~/sky_workdir", ".", "./", "sub/.."):
        task = Task(workdir=str(tmp_path), file_mounts={dst: str(tmp_path)})
        with pytest.raises(TaskValidationError):
            task.validate_local_paths()
    # Without a workdir the same mount is fine.
    task = Task(file_mounts={"~/sky_workdir": str(tmp_path)})
    task.validate_local_paths()


def test_parsing_never_touches_the_filesystem(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("filesystem touched during parsing")

    monkeypatch.setattr(os.path, "exists", boom)
    monkeypatch.setattr(os.path, "isdir", boom)
    monkeypatch.setattr(os.path, "expanduser", boom)
    task = from_text("workdir: /does/not/exist\nfile_mounts:\n  /a: ~/missing\n")
    assert task.workdir == "/does/not/exist"
