"""Tests of the ``sky`` CLI that need no cluster.

They cover startup cost (what ``sky --help`` imports), argument parsing (entrypoints, env flags,
globs, legacy infra flags), rendering (tables, times, progress lines, hints), exit codes and error
presentation. Cluster-level end-to-end tests live with the e2e suite.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from skycore.client.cli import (
    cluster_cmds,
    cluster_select,
    follow,
    info_cmds,
    job_cmds,
    job_output,
    main,
    progress,
    tables,
    task_args,
    timefmt,
)
from skycore.testing.api_server import free_port, stop_server_of

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN_AT_HELP = ("skycore.client.sdk", "pydantic", "yaml", "sqlalchemy", "ray",
                     "skycore.plugins", "skycore.task", "skycore.errors", "stevedore", "pluggy")

# Prints which heavy modules were imported once `sky --help` has run (checked at exit, so
# anything imported lazily on the way out counts too).
_WRAPPER = textwrap.dedent("""
    import atexit, sys
    WATCH = {watch!r}
    def _report():
        loaded = sorted(m for m in sys.modules
                        if any(m == w or m.startswith(w + ".") for w in WATCH)
                        or m.startswith("skycore.client.cli."))
        sys.stderr.write("LOADED=" + ",".join(loaded) + "\\n")
    atexit.register(_report)
    sys.argv = ["sky", "--help"]
    from skycore.client.cli.main import main
    main()
""")


def _sky(*args: str, env: dict[str, str] | None = None, input: str | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs the CLI in a fresh interpreter (real imports, real exit codes)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "skycore.client.cli.main", *args], cwd=REPO,
                          env=full_env, input=input, capture_output=True, text=True,
                          timeout=timeout)


def _have(module: str) -> bool:
    try:
        __import__(module)
    except Exception:  # not written yet, or broken: the tests using it skip with a reason
        return False
    return True


needs_sdk = pytest.mark.skipif(not _have("skycore.client.sdk"),
                               reason="skycore.client.sdk is not importable yet")
needs_task = pytest.mark.skipif(not _have("skycore.task"),
                                reason="skycore.task is not importable yet")


# ----------------------------------------------------------------------------- help & startup
@pytest.mark.parametrize("command", [None, *main.COMMANDS])
def test_help_of_every_command(command: str | None) -> None:
    args = ["--help"] if command is None else [command, "--help"]
    result = CliRunner().invoke(main.cli, args, prog_name="sky")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: sky")
    if command is None:
        for name in main.COMMANDS:
            assert f"  {name} " in result.output
    else:
        assert f"Usage: sky {command}" in result.output


def test_short_help_shown_by_sky_help_matches_each_command() -> None:
    """The lazy registry repeats each command's one-line help; keep the two in sync."""
    for name, (_, _, short_help) in main.COMMANDS.items():
        command = main.load_command(name)
        assert command.name == name
        first_line = (command.help or "").strip().splitlines()[0]
        assert first_line == short_help, name


def test_dash_h_is_help() -> None:
    result = CliRunner().invoke(main.cli, ["status", "-h"], prog_name="sky")
    assert result.exit_code == 0
    assert "Usage: sky status" in result.output


def test_sky_help_imports_nothing_heavy(tmp_path: Path) -> None:
    script = tmp_path / "wrapper.py"
    script.write_text(_WRAPPER.format(watch=list(FORBIDDEN_AT_HELP)))
    proc = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Commands:" in proc.stdout
    loaded_line = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED=")][-1]
    loaded = [m for m in loaded_line[len("LOADED="):].split(",") if m]
    heavy = [m for m in loaded if not m.startswith("skycore.client.cli.")]
    assert heavy == [], f"`sky --help` imported {heavy}"
    # Command modules load on use only; `--help` needs just the group and the error helpers.
    assert set(loaded) <= {"skycore.client.cli.main", "skycore.client.cli.ui"}, loaded


def test_cli_reaches_skycore_only_through_the_client_task_and_errors() -> None:
    """The CLI is a thin client over HTTP: the client package, the task model (to validate
    YAML before sending it), errors and the config file; no server or core module."""
    import ast

    allowed = {"skycore", "skycore.client", "skycore.client.sdk", "skycore.task",
               "skycore.errors", "skycore.config", "skycore.client.rest",
               "skycore.client.log_stream", "skycore.client.users_sdk"}
    cli_dir = REPO / "skycore" / "client" / "cli"
    for path in sorted(cli_dir.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("skycore") and not name.startswith("skycore.client.cli"):
                    parent = node.module if isinstance(node, ast.ImportFrom) else name
                    assert name in allowed or parent in allowed - {"skycore"}, (
                        f"{path.name} imports {name}")


def test_installed_sky_script_help() -> None:
    script = Path(sys.executable).with_name("sky")
    if not script.exists():
        pytest.skip("the `sky` console script is not installed in this environment")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "launch" in proc.stdout and "Usage: sky" in proc.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main.cli, ["lanch"], prog_name="sky")
    assert result.exit_code == 2


# ----------------------------------------------------------------------------- usage errors
@pytest.mark.parametrize("args, message", [
    (["logs", "c", "1", "2"], "Cannot stream logs of multiple jobs"),
    (["logs", "c", "abc"], "Invalid job ID abc"),
    (["autostop", "c", "--cancel", "-i", "5"], "Only one of --idle-minutes and --cancel"),
    (["start", "c", "--down"], "--idle-minutes-to-autostop must be set if --down is set"),
    (["stop"], "requires either a cluster name or glob"),
    (["down"], "requires either a cluster name or glob"),
    (["autostop"], "requires either a cluster name or glob"),
    (["exec"], "Missing argument"),
    (["exec", "c"], "Missing argument '[ENTRYPOINT]...'"),
    (["launch", "--env", "SKYCORE_TEST_SURELY_UNSET_VAR", "echo"], "is not set in local"),
    (["launch", "--env", "=1", "echo"], "Invalid env var"),
    (["launch", "--infra", "aws", "--cloud", "aws", "echo"], "Cannot specify both --infra"),
    (["status", "--ip"], "No cluster specified"),
    (["status", "--ip", "a", "b"], "2 clusters specified"),
    (["cancel", "c", "x"], "Invalid value"),
])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SKYCORE_TEST_SURELY_UNSET_VAR"}
    result = CliRunner().invoke(main.cli, args, prog_name="sky", env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_sky_error_is_one_red_paragraph_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    errors = pytest.importorskip("skycore.errors")

    group = main.SkyGroup(name="sky")

    @group.command(name="boom")
    def boom() -> None:
        raise errors.TaskValidationError("bad value.", field="resources.cpus", value="x",
                                         hint="use a number")

    monkeypatch.delenv("SKYCORE_DEBUG", raising=False)
    result = CliRunner().invoke(group, ["boom"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip() == ("TaskValidationError: Invalid field 'resources.cpus' "
                                     "(got 'x'): bad value. Hint: use a number")

    monkeypatch.setenv("SKYCORE_DEBUG", "1")
    result = CliRunner().invoke(group, ["boom"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


def test_non_sky_errors_keep_their_traceback() -> None:
    group = main.SkyGroup(name="sky")

    @group.command(name="bug")
    def bug() -> None:
        raise RuntimeError("a bug")

    result = CliRunner().invoke(group, ["bug"])
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)


# ----------------------------------------------------------------------------- bad YAML
@needs_sdk
@needs_task
@pytest.mark.parametrize("yaml_text, field", [
    ("name: t\nresourcez:\n  cpus: 2\nrun: echo hi\n", "resourcez"),
    ("resources:\n  cpuss: 2\nrun: echo hi\n", "cpuss"),
    ("name: t\nrun: echo hi\nrun: echo bye\n", "run"),
    ("resources:\n  cpus: 2\n  cpus: 4\nrun: echo hi\n", "cpus"),
])
def test_bad_yaml_exits_1_naming_the_field_and_creates_nothing(
        tmp_path: Path, yaml_text: str, field: str) -> None:
    home = tmp_path / "sky_home"
    task_file = tmp_path / "task.yaml"
    task_file.write_text(yaml_text)
    # its own state and its own API server (auto-started by `sky status`, stopped below)
    env = {"SKY_HOME": str(home),
           "SKY_API_SERVER_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    try:
        proc = _sky("launch", "-y", "-c", "should-not-exist", str(task_file), env=env)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert field in proc.stderr
        assert "Traceback" not in proc.stderr
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        assert len(lines) == 1, proc.stderr  # one paragraph

        status = _sky("status", env=env)
        assert status.returncode == 0, status.stderr
        assert "No existing clusters." in status.stdout
        assert "should-not-exist" not in status.stdout
    finally:
        stop_server_of(home)


# ----------------------------------------------------------------------------- entrypoints
def test_entrypoint_empty_is_an_empty_task() -> None:
    assert task_args.classify_entrypoint(()) == task_args.Entrypoint("empty", None)
    assert task_args.classify_entrypoint(("",)).kind == "empty"


@pytest.mark.parametrize("words, expected", [
    (("echo", "hi"), "echo hi"),
    (("echo hi && ls",), "echo hi && ls"),
    (("python", "train.py", "--lr", "1"), "python train.py --lr 1"),
    (("python", "gen.yaml"), "python gen.yaml"),  # several words: a command, even if .yaml
    (("./my_script.sh",), "./my_script.sh"),
])
def test_entrypoint_words_form_an_inline_command(words: tuple[str, ...], expected: str) -> None:
    entry = task_args.classify_entrypoint(words)
    assert entry.kind == "command"
    assert entry.value == expected


@pytest.mark.parametrize("name", ["task.yaml", "task.yml", "my task.yaml"])
def test_entrypoint_existing_yaml_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("run: echo hi\n")
    entry = task_args.classify_entrypoint((str(path),))
    assert entry.kind == "yaml"
    assert entry.value == str(path)


def test_entrypoint_missing_yaml_asks_before_running_it_as_a_command(tmp_path: Path) -> None:
    missing = str(tmp_path / "typo.yaml")
    entry = task_args.classify_entrypoint((missing,), ask=False)
    assert entry == task_args.Entrypoint("command", missing)

    @click.command()
    @click.argument("words", nargs=-1)
    def probe(words: tuple[str, ...]) -> None:
        click.echo(task_args.classify_entrypoint(words).kind)

    declined = CliRunner().invoke(probe, [missing], input="n\n")
    assert declined.exit_code == 1
    assert "looks like a yaml path but does not exist" in declined.output
    accepted = CliRunner().invoke(probe, [missing], input="y\n")
    assert accepted.exit_code == 0
    assert accepted.output.strip().endswith("command")


def test_entrypoint_directory_named_yaml_is_not_a_task(tmp_path: Path) -> None:
    folder = tmp_path / "conf.yaml"
    folder.mkdir()
    entry = task_args.classify_entrypoint((str(folder),), ask=False)
    assert entry.kind == "command"


@needs_task
def test_inline_command_becomes_sky_cmd_task_with_overrides() -> None:
    overrides = task_args.TaskOverrides(num_nodes=2, cpus="4+")
    dag = task_args.build_dag(task_args.Entrypoint("command", "echo $A"), overrides,
                              envs={"A": "1"}, secrets={}, command="sky launch")
    (task,) = dag.tasks
    assert task.name == "sky-cmd"
    assert task.run == "echo $A"
    assert task.num_nodes == 2
    assert task.envs == {"A": "1"}


@needs_task
def test_inline_command_secrets_are_secrets_not_envs() -> None:
    dag = task_args.build_dag(task_args.Entrypoint("command", "echo"), task_args.TaskOverrides(),
                              envs={}, secrets={"TOKEN": "s3cret"}, command="sky launch")
    (task,) = dag.tasks
    assert task.secrets == {"TOKEN": "s3cret"}
    assert "TOKEN" not in task.envs


@needs_task
def test_yaml_task_gets_env_overrides_and_cli_name(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: from-yaml\nenvs:\n  A: yaml\n  B: keep\nrun: echo $A\n")
    dag = task_args.build_dag(task_args.Entrypoint("yaml", str(path)),
                              task_args.TaskOverrides(name="from-cli"),
                              envs={"A": "cli"}, secrets={}, command="sky launch")
    (task,) = dag.tasks
    assert task.name == "from-cli"
    assert task.envs == {"A": "cli", "B": "keep"}


@needs_task
def test_pipeline_yaml_is_rejected_like_skypilot(tmp_path: Path) -> None:
    path = tmp_path / "chain.yaml"
    path.write_text("name: a\nrun: echo a\n---\nname: b\nrun: echo b\n")
    with pytest.raises(click.UsageError, match="supports a single task only"):
        task_args.build_dag(task_args.Entrypoint("yaml", str(path)), task_args.TaskOverrides(),
                            envs={}, secrets={}, command="sky launch")


# ----------------------------------------------------------------------------- env flags
def test_env_var_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_LOCAL", "local-value")
    assert task_args.parse_env_var("A=1") == ("A", "1")
    assert task_args.parse_env_var("A=") == ("A", "")
    assert task_args.parse_env_var("URL=a=b=c") == ("URL", "a=b=c")
    assert task_args.parse_env_var("FROM_LOCAL") == ("FROM_LOCAL", "local-value")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(click.UsageError, match="NOT_SET_ANYWHERE is not set"):
        task_args.parse_env_var("NOT_SET_ANYWHERE")
    with pytest.raises(click.UsageError, match="Invalid secret var"):
        task_args.parse_env_var("=x", "secret")


def test_env_flag_wins_over_env_file() -> None:
    merged = task_args.merge_envs({"A": "file", "B": "file"}, [("A", "flag"), ("C", "flag")])
    assert merged == {"A": "flag", "B": "file", "C": "flag"}
    assert task_args.merge_envs(None, [("A", "1"), ("A", "2")]) == {"A": "2"}


def test_dotenv_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTER", "out")
    text = textwrap.dedent("""\
        # a comment
        PLAIN=value
        export EXPORTED=yes
        SPACED = padded
        SINGLE='literal ${OUTER}'
        DOUBLE="line1\\nline2 ${PLAIN}"
        INLINE=abc # trailing comment
        FROM_ENV=${OUTER}-x
        EMPTY=
    """)
    assert task_args.parse_dotenv(text) == {
        "PLAIN": "value", "EXPORTED": "yes", "SPACED": "padded", "SINGLE": "literal ${OUTER}",
        "DOUBLE": "line1\nline2 value", "INLINE": "abc", "FROM_ENV": "out-x", "EMPTY": "",
    }
    with pytest.raises(click.BadParameter, match="has no value"):
        task_args.parse_dotenv("JUST_A_KEY\n")


def test_env_options_parse_through_click(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """--env/--env-file/--secret as `sky launch` declares them, without running a launch."""
    env_file = tmp_path / ".env"
    env_file.write_text("A=file\nB=file\n")
    monkeypatch.setenv("LOCAL_SECRET", "shh")

    @click.command()
    @task_args.launch_task_options
    def probe(env_file: dict[str, str] | None, env: list[tuple[str, str]],
              secret: list[tuple[str, str]], **_: object) -> None:
        click.echo(repr(task_args.merge_envs(env_file, env)))
        click.echo(repr(dict(secret)))

    result = CliRunner().invoke(probe, ["--env-file", str(env_file), "--env", "A=flag",
                                        "--env", "C=3", "--secret", "LOCAL_SECRET"])
    assert result.exit_code == 0, result.output
    envs_line, secrets_line = result.output.strip().splitlines()
    assert eval(envs_line) == {"A": "flag", "B": "file", "C": "3"}
    assert eval(secrets_line) == {"LOCAL_SECRET": "shh"}


@pytest.mark.parametrize("cloud, region, zone, expected", [
    ("aws", None, None, "aws"),
    ("aws", "us-east-1", None, "aws/us-east-1"),
    (None, "us-east-1", None, "*/us-east-1"),
    ("aws", None, "us-east-1a", "aws/*/us-east-1a"),
    ("none", "eu", None, "*/eu"),
])
def test_legacy_cloud_region_zone_become_infra(cloud: str | None, region: str | None,
                                                zone: str | None, expected: str) -> None:
    assert task_args.infra_from_flags(None, cloud, region, zone) == expected


def test_infra_alone_is_kept_and_ports_are_split() -> None:
    assert task_args.infra_from_flags("k8s/ctx", None, None, None) == "k8s/ctx"
    assert task_args.split_ports(("8080", "9000-9010,22")) == ["8080", "9000-9010", "22"]
    assert task_args.split_ports(()) is None


# ----------------------------------------------------------------------------- glob matching
def test_glob_matching() -> None:
    names = ["dev-1", "dev-2", "prod", "dev-10"]
    assert cluster_select.match_names(["dev-*"], names) == (["dev-1", "dev-2", "dev-10"], [])
    assert cluster_select.match_names(["dev-?"], names) == (["dev-1", "dev-2"], [])
    assert cluster_select.match_names(["dev-[12]", "prod"], names) == (
        ["dev-1", "dev-2", "prod"], [])
    assert cluster_select.match_names(["prod", "dev-*", "prod"], names) == (
        ["prod", "dev-1", "dev-2", "dev-10"], [])
    assert cluster_select.match_names(["nope", "x*"], names) == ([], ["nope", "x*"])
    assert cluster_select.match_names(["DEV-*"], names) == ([], ["DEV-*"])  # case-sensitive
    assert cluster_select.is_glob("a*") and not cluster_select.is_glob("a-b")


# ----------------------------------------------------------------------------- tables & times
def test_table_is_borderless_two_space_separated() -> None:
    text = tables.format_table(["NAME", "STATUS", "X"],
                               [["a", "UP", None], ["longer-name", "STOPPED", 3]])
    assert click.unstyle(text).splitlines() == [
        "NAME         STATUS   X",
        "a            UP       -",
        "longer-name  STOPPED  3",
    ]


def test_table_aligns_coloured_cells_and_bolds_the_header() -> None:
    colored = click.style("UP", fg="green")
    text = tables.format_table(["STATUS", "NAME"], [[colored, "a"], ["STOPPED", "b"]])
    header, first, second = text.splitlines()
    assert header.startswith("\x1b[1mSTATUS")
    assert click.unstyle(first) == "UP       a"
    assert click.unstyle(second) == "STOPPED  b"
    plain = tables.format_table(["A"], [["x"]], bold_header=False)
    assert plain == "A\nx"


def test_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError):
        tables.format_table(["A", "B"], [["only one"]])


def test_truncate_on_word_boundary() -> None:
    assert tables.truncate("short", 10) == "short"
    assert tables.truncate("python train.py --epochs 10", 16) == "python train.py..."
    assert tables.truncate("x" * 30, 10) == "x" * 10 + "..."


@pytest.mark.parametrize("seconds_ago, expected", [
    (0.2, "< 1 sec"),
    (3, "a few secs ago"),
    (15, "15 secs ago"),
    (60, "1 min ago"),
    (150, "2 mins ago"),
    (3600, "1 hr ago"),
    (3 * 3600 + 59, "3 hrs ago"),
    (86400, "1 day ago"),
    (3 * 86400, "3 days ago"),
    (8 * 86400, "1 week ago"),
    (40 * 86400, "1 month ago"),
])
def test_time_ago_like_skypilot(seconds_ago: float, expected: str) -> None:
    now = 1_700_000_000.0
    assert timefmt.time_ago(now - seconds_ago, now=now) == expected


def test_durations_like_skypilot() -> None:
    assert timefmt.duration(100, 163) == "1m 3s"
    assert timefmt.duration(0, 3600 + 5 * 60) == "1h 5m"
    assert timefmt.duration(0, 90061) == "1d 1h 1m 1s"
    assert timefmt.duration(10, 10.5) == "< 1s"
    assert timefmt.duration(None) == "-"
    assert timefmt.duration(-1, 10) == "-"  # not started
    assert timefmt.duration(100, None, now=130) == "30s"  # still running
    assert timefmt.time_ago(None) == "-"


def test_status_table() -> None:
    now = time.time()
    records = [
        {"name": "dev", "status": "UP", "launched_at": now - 65, "infra": "Local (local)",
         "resources_str": "1x(cpus=2, mem=8, local-2cpu)", "num_nodes": 1, "autostop": 10,
         "to_down": True, "head_ip": "127.0.0.2", "hourly_price": 0.5, "user": "alice",
         "last_use": "sky launch -c dev task.yaml"},
        {"name": "old", "status": "STOPPED", "launched_at": now - 7200, "infra": "AWS (us-east-1)",
         "resources_str": "2x(cpus=8, mem=32, m6i.2xlarge)", "num_nodes": 2, "autostop": -1,
         "to_down": False, "head_ip": None, "hourly_price": None, "user": "bob",
         "last_use": "sky start old"},
    ]
    lines = click.unstyle(cluster_cmds.format_status_table(records, now=now)).splitlines()
    assert lines[0].split() == ["NAME", "INFRA", "RESOURCES", "STATUS", "AUTOSTOP", "LAUNCHED"]
    assert "10m (down)" in lines[1] and "1 min ago" in lines[1]
    assert lines[2].startswith("old") and "STOPPED" in lines[2] and "2 hrs ago" in lines[2]
    assert lines[1].index("UP") == lines[0].index("STATUS")

    full = click.unstyle(cluster_cmds.format_status_table(records, show_all=True, now=now))
    header = full.splitlines()[0].split()
    assert header == ["NAME", "USER", "INFRA", "RESOURCES", "STATUS", "AUTOSTOP", "LAUNCHED",
                      "HEAD_IP", "HOURLY_PRICE", "COMMAND"]
    assert "$ 0.500" in full and "sky launch -c dev task.yaml" in full and "alice" in full


def test_job_queue_table() -> None:
    now = 1_700_000_000.0
    jobs = [
        {"job_id": 2, "name": "train", "username": "alice", "submitted_at": now - 120,
         "start_at": now - 100, "end_at": None, "status": "RUNNING", "resources": "1x[CPU:1]",
         "log_dir": "~/sky_logs/2-train", "exit_codes": None},
        {"job_id": 1, "name": "sky-cmd", "username": "alice", "submitted_at": now - 300,
         "start_at": None, "end_at": None, "status": "PENDING", "resources": "1x[CPU:1]",
         "log_dir": "~/sky_logs/1-sky-cmd", "exit_codes": None},
    ]
    lines = click.unstyle(job_cmds.format_job_queue(jobs, now=now)).splitlines()
    assert lines[0].split() == ["ID", "NAME", "USER", "SUBMITTED", "STARTED", "DURATION",
                                "RESOURCES", "STATUS", "LOG"]
    assert "2 mins ago" in lines[1] and "1m 40s" in lines[1] and "RUNNING" in lines[1]
    assert lines[2].split()[:3] == ["1", "sky-cmd", "alice"]


def test_plugins_table_lists_errors_of_broken_plugins() -> None:
    class Info:
        def __init__(self, **kw: object) -> None:
            self.__dict__.update(kw)

    infos = [
        Info(name="local", distribution="skycore", version="0.1.0", module="m", status="ok",
             error=None, hooks=("skycore_clouds", "skycore_catalogs"), clouds=("local",)),
        Info(name="broken", distribution="sky-broken", version="1.0", module="b",
             status="broken", error="ImportError: no module named boto3", hooks=(), clouds=()),
    ]
    text = click.unstyle(info_cmds.format_plugins_table(infos))
    lines = text.splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "CLOUDS", "HOOKS"]
    assert "skycore_clouds, skycore_catalogs" in lines[1]
    assert lines[2].split()[:4] == ["broken", "sky-broken", "1.0", "broken"]
    assert text.endswith("Broken plugins:\n  broken: ImportError: no module named boto3")


# ----------------------------------------------------------------------------- job outcomes
@pytest.mark.parametrize("status, code", [
    ("SUCCEEDED", 0), ("FAILED", 100), ("FAILED_SETUP", 100), ("FAILED_DRIVER", 100),
    ("RUNNING", 101), ("PENDING", 101), ("SETTING_UP", 101), ("INIT", 101), ("CANCELLED", 103),
    (None, 102),
])
def test_job_exit_codes(status: str | None, code: int) -> None:
    assert job_output.exit_code_for_status(status) == code


def test_useful_commands_hints() -> None:
    text = click.unstyle(job_output.useful_commands("dev", 3))
    assert "📋 Useful Commands" in text
    for command in ("sky cancel dev 3", "sky logs dev 3", "sky queue dev",
                    "sky exec dev yaml_file", "sky stop dev", "sky down dev"):
        assert command in text
    assert "ssh" not in text
    assert "Job ID" not in click.unstyle(job_output.useful_commands("dev", None))


def test_ctrl_c_while_following_prints_reattach_hint_and_exits_130() -> None:
    @click.command()
    def probe() -> None:
        follow.exit_job_still_running("dev", 7)

    result = CliRunner().invoke(probe)
    assert result.exit_code == 130
    assert "Job 7 is still running. To stream its logs again: sky logs dev 7" in result.stderr
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------- progress
def test_progress_prints_one_line_per_stage_off_a_terminal() -> None:
    stream = io.StringIO()
    with progress.StageProgress(stream) as stages:
        stages("OPTIMIZE", "Optimizing")
        stages("SYNC_WORKDIR", "Syncing workdir ~/src")
        stages("PROVISION", "Launching")
        stages("PROVISION", "Instance is up")  # same stage: no new line off a terminal
        stages("EXEC", "Submitting job")
        stages("EXEC", "Job 12 submitted")
    assert stream.getvalue().splitlines() == [
        "⚙︎ Optimizing.", "⚙︎ Syncing workdir ~/src.", "⚙︎ Launching.", "⚙︎ Submitting job."]
    assert stages.reached("PROVISION") and not stages.reached("SETUP")
    assert stages.job_id == 12


def test_progress_accepts_enum_stages_and_streams_log_bytes() -> None:
    import enum

    class Stage(str, enum.Enum):
        SETUP = "SETUP"

    stream = io.StringIO()
    target = io.BytesIO()
    with progress.StageProgress(stream) as stages:
        stages(Stage.SETUP, "pip install")
        sink = stages.sink(target)
        assert not stages.has_logs
        sink.write(b"hello\n")
        sink.flush()
    assert stream.getvalue() == "⚙︎ Running setup: pip install.\n"
    assert target.getvalue() == b"hello\n"
    assert stages.has_logs


def test_live_progress_clears_the_spinner_before_logs() -> None:
    stream = io.StringIO()
    target = io.BytesIO()
    stages = progress.StageProgress(stream, live=True)
    try:
        stages("PROVISION", "Launching")
        time.sleep(0.25)  # let the spinner draw
        stages.sink(target).write(b"log line\n")
        drawn = stream.getvalue()
        time.sleep(0.25)
        assert stream.getvalue() == drawn  # no redraw once logs started
    finally:
        stages.close()
    assert "⚙︎ Launching." in drawn
    assert drawn.endswith("\r\x1b[2K")  # spinner line erased
    assert target.getvalue() == b"log line\n"
