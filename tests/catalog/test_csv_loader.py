"""Reading the real public v8 catalogs, by header name, and the on-disk cache of parsed columns."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from skycore import errors
from skycore.catalog import cache, columns
from skycore.catalog.csv_loader import read_vms_csv

SHARED_V8 = Path(__file__).resolve().parents[2].parent / "shared" / "catalogs" / "v8"

pytestmark = pytest.mark.skipif(not SHARED_V8.exists(), reason="shared catalogs not present")


@pytest.mark.parametrize(("cloud", "rows"), [("gcp", 30190), ("runpod", 12096), ("lambda", 408)])
def test_shared_catalogs_load_with_every_row(cloud: str, rows: int) -> None:
    cols = read_vms_csv(SHARED_V8 / cloud / "vms.csv")
    assert len(cols) == rows
    # rows come out cheapest first (NaN prices last), so filters need no sort
    prices = [p for p in cols.price if p == p]
    assert prices == sorted(prices)


def test_lambda_file_really_has_crlf_and_parses_clean() -> None:
    raw = (SHARED_V8 / "lambda" / "vms.csv").read_bytes()
    assert b"\r\n" in raw
    cols = read_vms_csv(SHARED_V8 / "lambda" / "vms.csv")
    assert not any(s.endswith("\r") for s in cols.strings)
    assert {cols.strings[z] for z in cols.zone} == {""}  # Lambda has no zones


def _device_memory(cloud: str, accelerator: str) -> set[float]:
    cols = read_vms_csv(SHARED_V8 / cloud / "vms.csv")
    code = cols.strings.index(accelerator)
    return {cols.devmem[i] for i in range(len(cols)) if cols.acc[i] == code}


def test_gpuinfo_device_memory_is_parsed() -> None:
    assert _device_memory("gcp", "A100") == {40.0}
    assert _device_memory("gcp", "A100-80GB") == {80.0}
    assert _device_memory("lambda", "V100") == {16.0}
    # RunPod writes gigabytes into SizeInMiB: read as GiB, not as 0.08 GiB
    assert _device_memory("runpod", "A100-80GB") == {80.0}


def test_device_memory_and_maker_helpers() -> None:
    info = ("{'Gpus': [{'Name': 'T4', 'Manufacturer': 'NVIDIA', "
            "'MemoryInfo': {'SizeInMiB': 16384}}]}")
    assert columns.device_memory_gib(info) == 16.0
    assert columns.is_missing(columns.device_memory_gib("tpu-v2-8"))
    assert columns.manufacturer(info, "T4") == "nvidia"
    assert columns.manufacturer("", "MI300X") == "amd"
    assert columns.manufacturer("", "tpu-v3-8") == "google"


def test_columns_are_read_by_header_name_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "vms.csv"
    path.write_bytes(b"Region,Price,InstanceType,vCPUs,MemoryGiB,AcceleratorName,"
                     b"AcceleratorCount,SpotPrice\r\n"
                     b"r1,2.5,big,8,32,V100,1,\r\n"
                     b"r1,0.5,small,2,4,,,0.1\r\n")
    cols = read_vms_csv(path)
    s = cols.strings
    assert [s[i] for i in cols.itype] == ["small", "big"]  # sorted by price
    assert list(cols.vcpus) == [2.0, 8.0]
    assert columns.is_missing(cols.spot[1]) and cols.spot[0] == 0.1
    assert [s[z] for z in cols.zone] == ["", ""]  # no AvailabilityZone column


def test_missing_required_column_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "vms.csv"
    path.write_text("InstanceType,Price\nx,1\n")
    with pytest.raises(errors.SkyError, match=r"vms.csv is not a v8 vms.csv.*vCPUs"):
        read_vms_csv(path)


def test_cache_is_used_and_invalidated_when_the_csv_changes(tmp_path: Path,
                                                            sky_home: Path) -> None:
    path = tmp_path / "vms.csv"
    header = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region\n"
    path.write_text(header + "a,,,2,8,0.1,r1\n")
    first = cache.load_csv(path)
    assert len(first) == 1
    cached = list(cache.cache_dir().glob("*.bin"))
    assert any(p.stat().st_mtime >= path.stat().st_mtime - 1 for p in cached)
    again = cache.load_csv(path)
    assert again.to_parts() == first.to_parts()

    path.write_text(header + "a,,,2,8,0.1,r1\nb,,,4,16,0.2,r1\n")
    future = time.time() + 5  # a different mtime even on coarse file systems
    os.utime(path, (future, future))
    changed = cache.load_csv(path)
    assert [changed.strings[i] for i in changed.itype] == ["a", "b"]


def test_cache_file_is_much_faster_than_parsing() -> None:
    """Not a timing assertion on speed targets: a sanity check that the cache is the path."""
    path = SHARED_V8 / "gcp" / "vms.csv"
    cache.load_csv(path)
    parsed = read_vms_csv(path)
    loaded = cache.load_csv(path)
    assert loaded.to_parts() == parsed.to_parts()
