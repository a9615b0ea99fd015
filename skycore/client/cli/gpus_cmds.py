"""``sky gpus list`` (and the deprecated ``sky show-gpus``): accelerators and their prices.

Layout follows SkyPilot's ``_show_gpus_impl``: without a name, a ``COMMON_GPU |
AVAILABLE_QUANTITIES`` table for SkyPilot's list of common GPUs, then ``GOOGLE_TPU`` and, with
``--all``, ``OTHER_GPU``; with ``NAME[:QTY]``, one table per matching accelerator with the instance
types, device and host memory, prices and the (cheapest) region. The data comes from
``sdk.list_accelerator_counts`` / ``sdk.list_accelerators``, which only list enabled clouds.
"""

from __future__ import annotations

import difflib
from typing import Any

import click

from skycore.client.cli import tables, ui

#: SkyPilot's hard-coded "common" GPUs (``sky.catalog.get_common_gpus``), in its order
COMMON_GPUS = ("A10", "A10G", "A100", "A100-80GB", "B200", "H100", "H200", "L4", "L40S",
               "RTX5090", "RTXPRO6000", "T4", "V100", "V100-32GB")
#: SkyPilot's Google TPU table (``sky.catalog.get_tpus``); other TPU slices are "other" GPUs
GOOGLE_TPUS = ("tpu-v2-8", "tpu-v2-32", "tpu-v2-128", "tpu-v2-256", "tpu-v2-512", "tpu-v3-8",
               "tpu-v3-32", "tpu-v3-64", "tpu-v3-128", "tpu-v3-256", "tpu-v3-512", "tpu-v3-1024",
               "tpu-v3-2048")
_OFFER_HEADERS = ["GPU", "QTY", "CLOUD", "INSTANCE_TYPE", "DEVICE_MEM", "vCPUs", "HOST_MEM",
                  "HOURLY_PRICE", "HOURLY_SPOT_PRICE", "REGION"]


def _number(n: Any) -> str:
    if isinstance(n, float) and n.is_integer():
        return str(int(n))
    return str(n)


def _list_to_str(values: list[Any]) -> str:
    return ", ".join(_number(v) for v in values)


def _parse_infra(infra: str | None) -> tuple[str | None, str | None]:
    """``aws``, ``aws/us-east-1`` (``*`` = any) -> (cloud, region)."""
    if not infra:
        return None, None
    parts = [p.strip() for p in infra.strip().split("/")]
    cloud = parts[0] if parts[0] not in ("", "*") else None
    region = parts[1] if len(parts) > 1 and parts[1] not in ("", "*") else None
    if region is not None and cloud is None:
        raise click.UsageError("--infra: a region needs a cloud (e.g. aws/us-east-1).")
    return cloud, region


def _parse_accelerator(text: str) -> tuple[str, int | None]:
    parts = text.split(":")
    if len(parts) > 2:
        raise click.UsageError(f"Invalid accelerator string {text}. "
                               "Expected format: <accelerator_name>[:<quantity>].")
    if len(parts) == 1:
        return parts[0], None
    try:
        quantity = int(parts[1])
        if quantity <= 0:
            raise ValueError("Quantity cannot be non-positive integer.")
    except ValueError as exc:
        raise click.UsageError(f"Invalid accelerator quantity {parts[1]}. "
                               "Expected a positive integer.") from exc
    return parts[0], quantity


def _offer_row(item: dict[str, Any]) -> list[str]:
    cpus = item.get("cpu_count")
    if isinstance(cpus, (int, float)):
        cpu_str = str(int(cpus)) if float(cpus).is_integer() else f"{cpus:.1f}"
    else:
        cpu_str = "-"
    device = item.get("device_memory")
    memory = item.get("memory")
    price, spot = item.get("price"), item.get("spot_price")
    return [
        item["accelerator_name"], _number(item["accelerator_count"]), item["cloud"],
        item.get("instance_type") or "(attachable)",
        f"{device:.0f}GB" if device is not None else "-",
        cpu_str,
        f"{memory:.0f}GB" if memory is not None else "-",
        f"$ {price:.3f}" if price is not None else "-",
        f"$ {spot:.3f}" if spot is not None else "-",
        item.get("region") or "-",
    ]


def _show_counts(sdk: Any, clouds: list[str] | None, show_all: bool) -> None:
    counts: dict[str, list[float]] = dict(sdk.get(sdk.list_accelerator_counts(clouds=clouds)))
    common = [[g, _list_to_str(counts.pop(g))] for g in COMMON_GPUS if g in counts]
    click.echo(tables.format_table(["COMMON_GPU", "AVAILABLE_QUANTITIES"], common))
    tpus = [[t, _list_to_str(counts.pop(t))] for t in GOOGLE_TPUS if t in counts]
    if tpus:
        click.echo()
        click.echo(tables.format_table(["GOOGLE_TPU", "AVAILABLE_QUANTITIES"], tpus))
    if show_all:
        click.echo()
        others = [[g, _list_to_str(q)] for g, q in sorted(counts.items())]
        click.echo(tables.format_table(["OTHER_GPU", "AVAILABLE_QUANTITIES"], others))
    else:
        click.echo("\nHint: use -a/--all to see all accelerators (including non-common ones) "
                   "and pricing.")


def _show_offers(sdk: Any, name: str, quantity: int | None, clouds: list[str] | None,
                 region: str | None, all_regions: bool, cloud: str | None) -> None:
    result: dict[str, list[dict[str, Any]]] = sdk.get(sdk.list_accelerators(
        name, quantity, clouds=clouds, region_filter=region, all_regions=all_regions,
        case_sensitive=False))
    if not result:
        quantity_str = f" with requested quantity {quantity}" if quantity else ""
        where = f" on {cloud}." if cloud else " in cloud catalogs."
        click.echo(f"Resources {name!r}{quantity_str} not found{where} "
                   "To show available accelerators, run: sky gpus list --all")
        known = list(sdk.get(sdk.list_accelerator_counts(clouds=clouds)))
        lowered = {k.lower(): k for k in known}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
        if close:
            click.echo("Did you mean: " + ", ".join(repr(lowered[c]) for c in close) + "?")
        return
    for i, (_, items) in enumerate(result.items()):
        if i:
            click.echo()
        click.echo(tables.format_table(_OFFER_HEADERS, [_offer_row(item) for item in items]))


def _show_gpus_impl(accelerator_str: str | None, show_all: bool, infra: str | None,
                    all_regions: bool, verbose: bool) -> None:
    """Shared body of ``sky gpus list`` and ``sky show-gpus``."""
    del verbose  # per-node details only exist for Kubernetes/Slurm, not catalogs
    cloud, region = _parse_infra(infra)
    if all_regions and accelerator_str is None:
        raise click.UsageError("The --all-regions flag is only valid when an accelerator "
                               "is specified.")
    if all_regions and region is not None:
        raise click.UsageError("--all-regions and a region in --infra cannot be used "
                               "simultaneously.")
    if show_all and accelerator_str is not None:
        raise click.UsageError("--all is only allowed without a GPU name.")
    from skycore.client import sdk

    clouds = [cloud] if cloud else None
    if accelerator_str is None:
        if region is not None:
            # counts per region: the listing with a region filter, reduced to counts
            offers = sdk.get(sdk.list_accelerators(None, None, clouds=clouds,
                                                   region_filter=region, all_regions=False,
                                                   case_sensitive=False))
            counts = {name: sorted({o["accelerator_count"] for o in items})
                      for name, items in offers.items()}
            _show_counts(_Counts(counts), clouds, show_all)
            return
        _show_counts(sdk, clouds, show_all)
        return
    name, quantity = _parse_accelerator(accelerator_str)
    _show_offers(sdk, name, quantity, clouds, region, all_regions, cloud)


class _Counts:
    """Adapter: counts computed here, served like the SDK (``get(list_accelerator_counts())``)."""

    def __init__(self, counts: dict[str, list[float]]) -> None:
        self._counts = counts

    def list_accelerator_counts(self, clouds: list[str] | None = None) -> dict[str, list[float]]:
        del clouds
        return self._counts

    @staticmethod
    def get(value: Any) -> Any:
        return value


def _options(function: Any) -> Any:
    """The options both commands share (SkyPilot's flags)."""
    for decorator in reversed([
        click.argument("accelerator_str", required=False),
        click.option("--all", "-a", "show_all", is_flag=True, default=False,
                     help="Show details of all GPU/TPU/accelerator offerings."),
        click.option("--infra", default=None, type=str,
                     help='Infrastructure to query. Examples: "aws", "aws/us-east-1"'),
        click.option("--all-regions", is_flag=True, default=False,
                     help="Show pricing and instance details for a specified accelerator "
                          "across all regions and clouds."),
        click.option("--verbose", "-v", is_flag=True, default=False,
                     help="Show more details."),
    ]):
        function = decorator(function)
    return function


@click.group(name="gpus")
def gpus() -> None:
    """Commands for querying GPUs and other accelerators."""


@gpus.command(name="list")
@_options
def gpus_list(accelerator_str: str | None, show_all: bool, infra: str | None,
              all_regions: bool, verbose: bool) -> None:
    """Show supported GPU/TPU/accelerators and their prices.

    The names and counts shown can be set in the ``accelerators`` field in task
    YAMLs, or in the ``--gpus`` flag in CLI commands. For example, if this
    table shows 8x V100s are supported, then the string ``V100:8`` will be
    accepted by the above.

    To show the detailed information of a GPU/TPU type (its price, which clouds
    offer it, the quantity in each VM type, etc.), use ``sky gpus list <gpu>``.

    To show all accelerators, including less common ones, use
    ``sky gpus list --all``; to show every region of an accelerator, use
    ``sky gpus list <accelerator> --all-regions``. Otherwise the price shown
    for each instance type is the lowest across all regions.

    Only enabled clouds are listed (see ``sky check``).

    \b
    * DEVICE_MEM: memory of a single device (does not depend on the count).
    * HOST_MEM: memory of the host instance (VM).
    """
    _show_gpus_impl(accelerator_str, show_all, infra, all_regions, verbose)


@click.command(name="show-gpus")
@_options
def show_gpus(accelerator_str: str | None, show_all: bool, infra: str | None,
              all_regions: bool, verbose: bool) -> None:
    """Show supported GPU/TPU/accelerators and prices.

    NOTE: This command is deprecated. Use ``sky gpus list`` instead.
    """
    click.echo(ui.dim("sky show-gpus is deprecated; use sky gpus list."), err=True)
    _show_gpus_impl(accelerator_str, show_all, infra, all_regions, verbose)
