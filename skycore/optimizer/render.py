"""The optimizer's tables, laid out like SkyPilot's ``print_optimized_plan``.

- "Target: minimizing cost|run time" when some task had more than one candidate;
- "Estimated cost: $X / hour" for one task without estimator or inputs/outputs, else the total
  runtime and cost;
- "Best plan:" (``TASK, #NODES, INFRA, INSTANCE, vCPUs, Mem(GB), GPUS``) for several tasks;
- per task "Considered resources (N node[s]):" with one row per (cloud, accelerator, spot)
  group: its cheapest member, except that the chosen candidate replaces its group's row and is
  marked ✔; sorted by cost (by request entry first for ``ordered``). ``TIME (hr)`` replaces
  ``COST ($)`` when minimizing time.

Rendering needs no plugin manager: candidates carry their cloud's display name.
"""

from __future__ import annotations

from typing import Any

from skycore.optimizer import estimate

CHECK = "✔"


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def infra_str(cloud_display: str, region: str | None, zone: str | None) -> str:
    where = zone or region
    return f"{cloud_display} ({where})" if where else cloud_display


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "-" * (sum(widths) + 2 * (len(widths) - 1) + 2)

    def fmt(r: list[str]) -> str:
        return " " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    return "\n".join([line, fmt(header), line, *(fmt(r) for r in rows), line])


def _resource_cells(cand: Any) -> list[str]:
    off = cand.offering
    instance = off.instance_type + (" [Spot]" if cand.use_spot else "")
    gpus = (f"{off.accelerator_name}:{format_number(off.accelerator_count)}"
            if off.accelerator_name else "-")
    return [infra_str(cand.display_name or cand.cloud, cand.region, cand.where), instance,
            format_number(off.vcpus), format_number(off.memory_gib), gpus]


def considered_table(plan: Any, title_task: str = "") -> str:
    """The "Considered resources" block of one task's plan."""
    by_time = plan.minimize == "time"

    def metric(c: Any) -> float:
        return c.runtime_hours if by_time else c.cost

    groups: dict[tuple, Any] = {}
    for cand in plan.considered:
        key = (cand.cloud, cand.offering.accelerator_name, cand.use_spot)
        current = groups.get(key)
        if cand is plan.best or current is None or (
                current is not plan.best and metric(cand) < metric(current)):
            groups[key] = cand
    ordered = sorted(groups.values(), key=lambda c: ((c.request_index if plan.ordered else 0),
                                                     metric(c)))
    header = ["INFRA", "INSTANCE", "vCPUs", "Mem(GB)", "GPUS",
              "TIME (hr)" if by_time else "COST ($)", "CHOSEN"]
    rows = [[*_resource_cells(c), f"{metric(c):.2f}", CHECK if c is plan.best else ""]
            for c in ordered]
    nodes = plan.task.num_nodes
    title = (f"Considered resources {title_task}({nodes} node{'s' if nodes > 1 else ''}):")
    return title + "\n" + table(header, rows)


def _summary(plans: list[Any], minimize: str, total_cost: float, total_hours: float) -> list[str]:
    out = []
    if any(p.num_choices > 1 for p in plans):
        out.append(f"Target: minimizing {'cost' if minimize == 'cost' else 'run time'}")
    task = plans[0].task
    hourly = (len(plans) == 1 and not estimate.has_estimator(task)
              and not getattr(task, "inputs", None) and not getattr(task, "outputs", None))
    if hourly:
        out.append(f"Estimated cost: ${total_cost:.2f} / hour")
    else:
        out.append(f"Estimated total runtime: {total_hours:.1f} hours")
        out.append(f"Estimated total cost: ${total_cost:.2f}")
    return out


def render_plan(plan: Any) -> str:
    """One task's plan: summary lines, then its "Considered resources" table."""
    if plan.best is None:
        return considered_table(plan)
    total_cost = plan.best.cost if plan.total_cost is None else plan.total_cost
    hours = plan.best.runtime_hours if plan.total_hours is None else plan.total_hours
    out = _summary([plan], plan.minimize, total_cost, hours)
    return "\n".join([*out, "", considered_table(plan)])


def task_label(task: Any, index: int) -> str:
    return getattr(task, "name", None) or f"task-{index + 1}"


def render_dag_plan(dag_plan: Any) -> str:
    """A DAG's plan: summary, "Best plan" for several tasks, then each task's table."""
    plans = dag_plan.plans
    if len(plans) == 1:
        return render_plan(plans[0])
    out = _summary(plans, dag_plan.minimize, dag_plan.total_cost, dag_plan.total_hours)
    out.append("")
    rows = [[task_label(p.task, i), str(p.task.num_nodes), *_resource_cells(p.best)]
            for i, p in enumerate(plans)]
    out.append("Best plan:")
    out.append(table(["TASK", "#NODES", "INFRA", "INSTANCE", "vCPUs", "Mem(GB)", "GPUS"], rows))
    for i, plan in enumerate(plans):
        out.append("")
        out.append(considered_table(plan, f"for task {task_label(plan.task, i)!r} "))
    return "\n".join(out)
