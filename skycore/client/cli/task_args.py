"""How ``sky launch`` / ``sky exec`` read their arguments into a task, the way SkyPilot does.

* The entrypoint words are either one existing ``.yaml``/``.yml`` file (a task YAML) or an inline
  shell command (a task named ``sky-cmd``); no words at all is an empty task. A single word that
  looks like a YAML path but is not a readable file asks before running it as a command, because
  ``sky launch typo.yaml`` silently running ``typo.yaml`` remotely would be a nasty surprise.
* ``--env K=V`` (repeatable), ``--env K`` (value from the local environment), ``--env-file``
  (dotenv; ``--env`` wins on conflicts), ``--secret`` likewise.
* Resource flags override the YAML; legacy ``--cloud/--region/--zone`` become an ``--infra`` string.

The option decorators live here too so ``launch`` and ``exec`` share one definition of each flag.
Only click and the standard library are imported at module level; ``skycore.task`` is imported
when a task is actually built.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

YAML_SUFFIXES = (".yaml", ".yml")
INLINE_TASK_NAME = "sky-cmd"

DAG_NOT_SUPPORTED = ("YAML specifies a DAG which is only supported by `sky jobs launch`. "
                     "`{command}` supports a single task only.")

_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*(?:=\s*(.*))?$")
_DOTENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


# ----------------------------------------------------------------------------- entrypoint
@dataclasses.dataclass(frozen=True)
class Entrypoint:
    """What the positional words mean: ``kind`` is ``yaml``, ``command`` or ``empty``."""

    kind: str
    value: str | None

    @property
    def is_yaml(self) -> bool:
        return self.kind == "yaml"


def classify_entrypoint(words: Sequence[str], *, ask: bool = True) -> Entrypoint:
    """Decides between a task YAML and an inline command (see the module docstring).

    ``ask=False`` skips the "looks like a yaml path" question (used by tests).
    """
    text = " ".join(words).strip()
    if not text:
        return Entrypoint("empty", None)
    # Like SkyPilot, try the words as one path first (a file name may contain spaces).
    whole = os.path.expanduser(text)
    if text.endswith(YAML_SUFFIXES) and os.path.isfile(whole) and os.access(whole, os.R_OK):
        return Entrypoint("yaml", whole)
    try:
        shell_words = shlex.split(text)
    except ValueError:  # unbalanced quotes: certainly not a single path
        shell_words = [text, ""]
    looks_like_yaml = len(shell_words) == 1 and shell_words[0].endswith(YAML_SUFFIXES)
    if not looks_like_yaml:
        return Entrypoint("command", text)
    path = os.path.expanduser(shell_words[0])
    if os.path.isfile(path) and os.access(path, os.R_OK):
        return Entrypoint("yaml", path)
    if not os.path.exists(path):
        reason = "does not exist. Please check if the path is correct."
    elif not os.path.isfile(path):
        reason = "is not a file. Please check if the path is correct."
    else:
        reason = "is not readable. Please check its permissions."
    if ask:
        click.confirm(f"{text!r} looks like a yaml path but {reason}\n"
                      "It will be treated as a command to be run remotely. Continue?", abort=True)
    return Entrypoint("command", text)


def echo_entrypoint(entrypoint: Entrypoint) -> None:
    """``YAML to run: x.yaml`` / ``Command to run: echo hi`` (SkyPilot prints this first)."""
    if entrypoint.kind == "yaml":
        click.echo(click.style("YAML to run: ", fg="cyan") + str(entrypoint.value))
    elif entrypoint.kind == "command":
        click.echo(click.style("Command to run: ", fg="cyan") + str(entrypoint.value))


# ----------------------------------------------------------------------------- env vars
def parse_env_var(text: str, kind: str = "env") -> tuple[str, str]:
    """``K=V`` → (K, V); a bare ``K`` takes its value from the local environment."""
    if "=" not in text:
        value = os.environ.get(text)
        if not text or value is None:
            raise click.UsageError(f"{text} is not set in local environment.")
        return text, value
    key, value = text.split("=", 1)
    if not key.strip():
        raise click.UsageError(f"Invalid {kind} var: {text}. Must be in the form of KEY=VAL "
                               "or KEY.")
    return key.strip(), value


def _unquote_dotenv(raw: str, known: dict[str, str]) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1]  # single quotes: literal
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        inner = raw[1:-1]
        inner = (inner.replace("\\\\", "\0").replace("\\n", "\n").replace("\\t", "\t")
                 .replace('\\"', '"').replace("\0", "\\"))
        return _expand(inner, known)
    # Unquoted: an inline comment starts at " #".
    hash_at = raw.find(" #")
    if hash_at >= 0:
        raw = raw[:hash_at].rstrip()
    return _expand(raw, known)


def _expand(value: str, known: dict[str, str]) -> str:
    """``${VAR}`` from earlier lines of the file, else the environment (python-dotenv's rule)."""
    return _DOTENV_VAR.sub(lambda m: known.get(m.group(1), os.environ.get(m.group(1), "")), value)


def parse_dotenv(text: str, source: str = "env file") -> dict[str, str]:
    """Reads dotenv text: ``KEY=VALUE`` lines, ``export`` prefixes, quotes and ``#`` comments."""
    values: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if not match:
            raise click.BadParameter(f"{source}, line {lineno}: expected KEY=VALUE, got {line!r}")
        key, raw = match.group(1), match.group(2)
        if raw is None:
            raise click.BadParameter(f"{source}, line {lineno}: {key!r} has no value "
                                     "(write KEY=VALUE).")
        values[key] = _unquote_dotenv(raw, values)
    return values


def merge_envs(env_file: dict[str, str] | None, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``--env-file`` values first, then ``--env`` pairs on top (the later flag wins)."""
    merged = dict(env_file or {})
    for key, value in pairs:
        merged[key] = value
    return merged


def _env_callback(kind: str) -> Callable[[click.Context, click.Parameter, tuple[str, ...]],
                                         list[tuple[str, str]]]:
    def callback(ctx: click.Context, param: click.Parameter,
                 values: tuple[str, ...]) -> list[tuple[str, str]]:
        return [parse_env_var(v, kind) for v in values or ()]
    return callback


def _env_file_callback(ctx: click.Context, param: click.Parameter,
                       value: str | None) -> dict[str, str] | None:
    if value is None:
        return None
    with open(value, encoding="utf-8") as f:
        return parse_dotenv(f.read(), source=value)


# ----------------------------------------------------------------------------- resources
def infra_from_flags(infra: str | None, cloud: str | None, region: str | None,
                     zone: str | None) -> str | None:
    """Maps the deprecated ``--cloud/--region/--zone`` onto an ``infra`` string.

    ``--region us-east-1`` alone becomes ``*/us-east-1``; ``--cloud aws --zone us-east-1a``
    becomes ``aws/*/us-east-1a``. ``none`` or ``*`` means "any".
    """
    if cloud is None and region is None and zone is None:
        return infra
    click.secho("The --cloud, --region, and --zone options are deprecated. Use --infra instead.",
                fg="yellow")
    if infra is not None:
        raise click.UsageError("Cannot specify both --infra and --cloud, --region, or --zone.")
    parts = []
    for value in (cloud, region, zone):
        parts.append("*" if value is None or value.strip().lower() in ("none", "*", "")
                     else value.strip())
    while len(parts) > 1 and parts[-1] == "*":
        parts.pop()
    return "/".join(parts)


def split_ports(ports: Iterable[str]) -> list[str] | None:
    """``--ports 8080 --ports 9000-9010,22`` → ``['8080', '9000-9010', '22']``."""
    out = [p.strip() for value in ports for p in str(value).split(",") if p.strip()]
    return out or None


@dataclasses.dataclass
class TaskOverrides:
    """The CLI flags that override fields of the task (``None`` = not given)."""

    name: str | None = None
    workdir: str | None = None
    num_nodes: int | None = None
    cpus: str | None = None
    memory: str | None = None
    gpus: str | None = None
    infra: str | None = None
    use_spot: bool | None = None
    disk_size: int | None = None
    instance_type: str | None = None
    ports: list[str] | None = None
    image_id: str | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


# ----------------------------------------------------------------------------- building
def build_dag(entrypoint: Entrypoint, overrides: TaskOverrides, *, envs: dict[str, str],
              secrets: dict[str, str], command: str, allow_pipeline: bool = False) -> Any:
    """Loads the YAML (or makes the inline task) and applies the CLI overrides.

    Returns a one-task ``skycore.task.Dag``. A multi-task YAML is rejected with SkyPilot's
    message: ``launch``/``exec`` run a single task; pipelines belong to managed jobs — except
    for planning (``allow_pipeline``: ``sky launch --dryrun`` shows the pipeline's best plan).
    """
    from skycore import task as task_lib

    if entrypoint.kind == "yaml":
        dag = task_lib.load_dag(entrypoint.value, env_overrides=envs or None,
                                secret_overrides=secrets or None)
        tasks = list(dag.tasks)
        if len(tasks) > 1 and allow_pipeline:
            if overrides.given():
                raise click.UsageError("Task options (--cpus, --gpus, ...) apply to a single "
                                       "task; this YAML is a pipeline.")
            return dag
        if len(tasks) != 1:
            raise click.UsageError(DAG_NOT_SUPPORTED.format(command=command))
        task = tasks[0]
        kwargs = overrides.given()
    else:
        dag = None
        if secrets:
            # `with_overrides` has no secrets; the YAML constructor applies them (redacted like
            # a YAML's `secrets:`), so an inline command gets exactly what a YAML would.
            task = task_lib.Task.from_yaml_config(
                {"name": INLINE_TASK_NAME, "run": entrypoint.value}, secret_overrides=secrets)
        else:
            task = task_lib.Task.from_command(entrypoint.value)
        kwargs = overrides.given()
        if envs:
            kwargs["envs"] = envs
    if kwargs:
        task = task.with_overrides(**kwargs)
    if dag is None:
        return _dag_of(task_lib, task)
    return _replace_only_task(dag, task)


def _dag_of(task_lib: Any, task: Any) -> Any:
    """A one-task DAG around an inline-command task."""
    return task_lib.Dag(tasks=[task], name=getattr(task, "name", None))


def _replace_only_task(dag: Any, task: Any) -> Any:
    """The loaded DAG with its only task replaced by the overridden one."""
    if dag.tasks[0] is task:
        return dag
    if isinstance(dag.tasks, list):
        dag.tasks[0] = task
        return dag
    if hasattr(dag, "model_copy"):  # an immutable pydantic model
        return dag.model_copy(update={"tasks": [task]})
    return dataclasses.replace(dag, tasks=[task])  # a frozen dataclass


# ----------------------------------------------------------------------------- click options
def _apply(options: Sequence[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def decorator(func: Any) -> Any:
        for option in reversed(options):
            func = option(func)
        return func
    return decorator


NAME_OPTION = click.option("--name", "-n", type=str, default=None,
                           help='Task name. Overrides the "name" config in the YAML if both are '
                                "supplied.")
WORKDIR_OPTION = click.option(
    "--workdir", type=click.Path(exists=True, file_okay=False), default=None,
    help="If specified, sync this dir to the remote working directory, where the task will be "
         'invoked. Overrides the "workdir" config in the YAML if both are supplied.')
NUM_NODES_OPTION = click.option(
    "--num-nodes", type=int, default=None,
    help='Number of nodes to execute the task on. Overrides the "num_nodes" config in the YAML '
         "if both are supplied.")
CPUS_OPTION = click.option(
    "--cpus", type=str, default=None,
    help="Number of vCPUs each instance must have (e.g., ``--cpus=4`` (exactly 4) or "
         "``--cpus=4+`` (at least 4)). This is used to automatically select the instance type.")
MEMORY_OPTION = click.option(
    "--memory", type=str, default=None,
    help="Amount of memory each instance must have in GB (e.g., ``--memory=16`` (exactly 16GB), "
         "``--memory=16+`` (at least 16GB)).")
GPUS_OPTION = click.option(
    "--gpus", type=str, default=None,
    help='Type and number of GPUs to use. Example values: "V100:8", "V100" (short for a count '
         'of 1). Overrides the "accelerators" config in the YAML if both are supplied.')
ENV_FILE_OPTION = click.option(
    "--env-file", type=click.Path(exists=True, dir_okay=False), default=None,
    callback=_env_file_callback,
    help="Path to a dotenv file with environment variables to set on the remote node. If any "
         "values from ``--env-file`` conflict with values set by ``--env``, the ``--env`` value "
         "will be preferred.")
ENV_OPTION = click.option(
    "--env", multiple=True, callback=_env_callback("env"), metavar="KEY[=VALUE]",
    help="""\
        Environment variable to set on the remote node. It can be specified multiple times.
        Examples:

        \b
        --env MY_ENV=1      set $MY_ENV to 1
        --env MY_ENV2=$HOME set $MY_ENV2 to the local $HOME
        --env MY_ENV3       copy the local $MY_ENV3""")
SECRET_OPTION = click.option(
    "--secret", multiple=True, callback=_env_callback("secret"), metavar="KEY[=VALUE]",
    help="""\
        Secret variable to set on the remote node. These variables will be redacted in logs and
        YAML outputs for security. It can be specified multiple times. Examples:

        \b
        --secret API_KEY=secret123  set $API_KEY
        --secret JWT_SECRET         copy the local $JWT_SECRET""")

RESOURCE_OPTIONS = [
    click.option("--infra", type=str, default=None,
                 help="Infrastructure to use. Format: cloud, cloud/region, cloud/region/zone, "
                      "k8s/context-name, or ssh/node-pool-name. Examples: aws, aws/us-east-1, "
                      "aws/*/us-east-1a, k8s/my-context, ssh/my-nodes."),
    click.option("--cloud", type=str, default=None, hidden=True,
                 help="(Deprecated: use --infra) The cloud to use."),
    click.option("--region", type=str, default=None, hidden=True,
                 help="(Deprecated: use --infra) The region to use."),
    click.option("--zone", type=str, default=None, hidden=True,
                 help="(Deprecated: use --infra) The zone to use."),
    click.option("--disk-size", type=int, default=None, help="OS disk size in GBs."),
    click.option("--use-spot/--no-use-spot", default=None,
                 help='Whether to request spot instances. If specified, overrides the '
                      '"resources.use_spot" config.'),
    click.option("--image-id", type=str, default=None,
                 help="Custom image id for launching the instances."),
    click.option("--instance-type", "-t", type=str, default=None,
                 help='The instance type to use. If specified, overrides the '
                      '"resources.instance_type" config.'),
    click.option("--ports", type=str, multiple=True,
                 help='Ports to open on the cluster. If specified, overrides the "ports" config '
                      "in the YAML."),
]

# `sky launch`: every task flag (SkyPilot's TASK_OPTIONS_WITH_NAME + EXTRA_RESOURCES_OPTIONS).
launch_task_options = _apply([NAME_OPTION, WORKDIR_OPTION, NUM_NODES_OPTION, CPUS_OPTION,
                              MEMORY_OPTION, GPUS_OPTION, *RESOURCE_OPTIONS, ENV_FILE_OPTION,
                              ENV_OPTION, SECRET_OPTION])

# `sky exec`: the cluster exists, so only what shapes the job itself (its demand and env).
exec_task_options = _apply([NAME_OPTION, WORKDIR_OPTION, NUM_NODES_OPTION, CPUS_OPTION,
                            MEMORY_OPTION, GPUS_OPTION, ENV_FILE_OPTION, ENV_OPTION,
                            SECRET_OPTION])
