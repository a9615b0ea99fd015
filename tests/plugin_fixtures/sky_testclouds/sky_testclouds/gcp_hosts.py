"""GCP's attach model: which host VMs carry the GPUs/TPUs of an attachable catalog row.

GCP's catalog lists accelerators without an instance type (they are attached to a VM). This
rule follows SkyPilot's ``gcp_catalog`` (``_ACC_INSTANCE_TYPE_DICTS`` and
``_NUM_ACC_TO_MAX_CPU_AND_MEMORY``): A100/H100/H200/B200/L4 come in fixed machine types; K80,
P4, P100, V100 and T4 attach to an N1 VM no larger than a per-count maximum; TPUs run on a
TPU VM whose price is included in the TPU's.
"""

from __future__ import annotations

FIXED: dict[str, dict[int, tuple[str, ...]]] = {
    "A100": {1: ("a2-highgpu-1g",), 2: ("a2-highgpu-2g",), 4: ("a2-highgpu-4g",),
             8: ("a2-highgpu-8g",), 16: ("a2-megagpu-16g",)},
    "A100-80GB": {1: ("a2-ultragpu-1g",), 2: ("a2-ultragpu-2g",), 4: ("a2-ultragpu-4g",),
                  8: ("a2-ultragpu-8g",)},
    "H100": {1: ("a3-highgpu-1g",), 2: ("a3-highgpu-2g",), 4: ("a3-highgpu-4g",),
             8: ("a3-highgpu-8g",)},
    "H100-MEGA": {8: ("a3-megagpu-8g",)},
    "H200": {8: ("a3-ultragpu-8g",)},
    "B200": {8: ("a4-highgpu-8g",)},
    "L4": {1: ("g2-standard-4", "g2-standard-8", "g2-standard-12", "g2-standard-16",
               "g2-standard-32"),
           2: ("g2-standard-24",), 4: ("g2-standard-48",), 8: ("g2-standard-96",)},
}

#: accelerator -> count -> (max vCPUs, max memory GiB) of the N1 host
N1_LIMITS: dict[str, dict[int, tuple[float, float]]] = {
    "K80": {1: (8, 52), 2: (16, 104), 4: (32, 208), 8: (64, 208)},
    "P4": {1: (24, 156), 2: (48, 312), 4: (96, 624)},
    "P100": {1: (16, 104), 2: (32, 208), 4: (96, 624)},
    "V100": {1: (12, 78), 2: (24, 156), 4: (48, 312), 8: (96, 624)},
    "T4": {1: (48, 312), 2: (48, 312), 4: (96, 624)},
}

#: N1 machine types and their shape (vCPUs, GiB)
N1_SHAPES: dict[str, tuple[float, float]] = {
    **{f"n1-standard-{n}": (n, n * 3.75) for n in (1, 2, 4, 8, 16, 32, 64, 96)},
    **{f"n1-highmem-{n}": (n, n * 6.5) for n in (2, 4, 8, 16, 32, 64, 96)},
    **{f"n1-highcpu-{n}": (n, n * 0.9) for n in (2, 4, 8, 16, 32, 64, 96)},
}

TPU_HOST = "TPU-VM"


def hosts_for(accelerator: str, count: float) -> tuple[str, ...]:
    """Host instance types for ``count`` x ``accelerator`` (empty: cannot be launched)."""
    if accelerator.lower().startswith("tpu-"):
        return (TPU_HOST,)
    n = int(count) if float(count).is_integer() else -1
    fixed = FIXED.get(accelerator)
    if fixed is not None:
        return fixed.get(n, ())
    limits = N1_LIMITS.get(accelerator, {}).get(n)
    if limits is None:
        return ()
    max_cpus, max_mem = limits
    return tuple(name for name, (cpus, mem) in N1_SHAPES.items()
                 if cpus <= max_cpus and mem <= max_mem)
