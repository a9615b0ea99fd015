"""The ``sky`` command-line interface.

Kept import-free on purpose: ``sky --help`` must stay instant, so nothing here may pull in the SDK,
pydantic, YAML or any plugin. The entry point is :func:`skycore.client.cli.main.main`.
"""
