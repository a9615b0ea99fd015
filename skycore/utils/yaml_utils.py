"""Strict YAML loading and readable YAML dumping for task files.

Why not plain ``yaml.safe_load``: PyYAML silently keeps the *last* value of a duplicated key, so a
task with two ``resources:`` blocks would launch with half of what the user wrote. We reject
duplicates at every nesting level, and we turn every loader failure (bad syntax, binary input, a
document that is a bare string) into a :class:`~skycore.errors.TaskValidationError` that names
the source and line, so the CLI can print it without a traceback.

The libyaml-backed ``CSafeLoader`` is used when PyYAML was built with it: loading is then several
times faster, which matters for big pipelines and for the API server parsing many requests.
"""

from __future__ import annotations

from typing import Any

import yaml

from skycore.errors import TaskValidationError

__all__ = ["dump_yaml", "dump_yaml_documents", "load_yaml_documents"]

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses a mapping holding the same key twice."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    # `<<: *anchor` merges are meant to be overridden by explicit keys.
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # the base class reports unhashable keys with its own message
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _DuplicateKeyError(key, seen[key], line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _DuplicateKeyError(Exception):
    """Internal: carries the duplicate key out of the constructor."""

    def __init__(self, key: Any, first_line: int, line: int) -> None:
        super().__init__(key)
        self.key = key
        self.first_line = first_line
        self.line = line


def _decode(text: str | bytes, source: str) -> str:
    """Turn input into text, refusing binary content with a clear message."""
    if isinstance(text, str):
        data = text
    elif isinstance(text, (bytes, bytearray, memoryview)):
        try:
            data = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise TaskValidationError(
                f"{source} is not a UTF-8 text file (undecodable byte at offset {e.start}).",
                hint="Pass a task YAML file, not a binary file.",
            ) from None
    else:
        raise TaskValidationError(
            f"Cannot read YAML from a {type(text).__name__}; expected text.",
            hint="Pass the YAML text or a path to the YAML file.",
        )
    if "\x00" in data:
        raise TaskValidationError(
            f"{source} contains NUL bytes and looks like a binary file, not YAML.",
            hint="Pass a task YAML file, not a binary file.",
        )
    return data


def load_yaml_documents(
    text: str | bytes, source: str = "<string>", *, require_mapping: bool = True
) -> list[Any]:
    """Safe-load every document of a YAML stream, strictly.

    Returns one item per document; an empty stream gives ``[None]`` (an empty task). Each document
    must be a mapping or null when ``require_mapping`` is true (the task-file case): a document
    that is a bare string, number or list is almost always a path passed where YAML text was
    expected, or a broken indentation.

    Raises :class:`TaskValidationError` for syntax errors, duplicate keys (with both lines),
    binary input and non-mapping documents.
    """
    data = _decode(text, source)
    try:
        docs = list(yaml.load_all(data, Loader=_StrictLoader))  # noqa: S506 - safe loader subclass
    except _DuplicateKeyError as e:
        raise TaskValidationError(
            f"Duplicate key {e.key!r} in {source} at line {e.line} "
            f"(first defined at line {e.first_line}).",
            field=str(e.key),
            hint="Each key may appear only once in a mapping; merge the two entries.",
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise TaskValidationError(
            f"Invalid YAML in {source}{where}: {problem}.",
            hint="Check the indentation and quoting around that line.",
        ) from None
    if not docs:
        return [None]
    if require_mapping:
        for index, doc in enumerate(docs):
            if doc is not None and not isinstance(doc, dict):
                which = f"document {index + 1} of {source}" if len(docs) > 1 else source
                raise TaskValidationError(
                    f"{which} must be a YAML mapping (key: value pairs), "
                    f"but it parsed to a {type(doc).__name__}: {_preview(doc)}.",
                    hint="If you passed a file path, check that the file exists; "
                    "otherwise check the YAML indentation.",
                )
    return docs


def _preview(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _BlockDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Dumper that writes multi-line strings as ``|`` blocks, so dumped tasks stay readable."""


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(obj: Any) -> str:
    """Dump ``obj`` (plain dicts/lists/scalars) as block-style YAML, keys in insertion order."""
    return yaml.dump(
        obj,
        Dumper=_BlockDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )


def dump_yaml_documents(docs: list[Any]) -> str:
    """Dump several documents separated by ``---`` (the pipeline form)."""
    return yaml.dump_all(
        docs,
        Dumper=_BlockDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
