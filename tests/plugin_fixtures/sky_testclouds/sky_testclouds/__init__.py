"""Test-only skycore plugin: realistic catalogs for gcp, aws, runpod and lambda.

Disabled unless ``SKYCORE_TESTCLOUDS=1`` (their credential check fails otherwise), so installing
it in a development environment changes nothing for ``sky launch``. See README.md.
"""

ENV_ENABLE = "SKYCORE_TESTCLOUDS"
ENV_FAULTS = "SKYCORE_TESTCLOUDS_FAULTS"
ENV_ATTEMPT_LOG = "SKYCORE_TESTCLOUDS_LOG"
ENV_SHARED_CATALOGS = "SKYCORE_SHARED_CATALOGS"
CLOUDS = ("gcp", "aws", "runpod", "lambda")


def enabled() -> bool:
    import os

    return os.environ.get(ENV_ENABLE, "").strip().lower() in ("1", "true", "yes")
