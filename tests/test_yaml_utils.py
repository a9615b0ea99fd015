"""Strict YAML loading: duplicate keys, non-mapping documents and binary input are clean errors."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from skycore.errors import TaskValidationError
from skycore.utils import yaml_utils
from skycore.utils.yaml_utils import dump_yaml, dump_yaml_documents, load_yaml_documents


def test_single_document() -> None:
    assert load_yaml_documents("a: 1\nb: [x, y]\n") == [{"a": 1, "b": ["x", "y"]}]


def test_multiple_documents_keep_order() -> None:
    docs = load_yaml_documents("name: p\n---\nrun: a\n---\nrun: b\n")
    assert docs == [{"name": "p"}, {"run": "a"}, {"run": "b"}]


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "null\n", "~\n"])
def test_empty_or_null_yaml_is_one_empty_document(text: str) -> None:
    assert load_yaml_documents(text) == [None]


def test_duplicate_top_level_key_names_key_and_lines() -> None:
    text = "name: a\nrun: echo 1\nname: b\n"
    with pytest.raises(TaskValidationError) as e:
        load_yaml_documents(text, "task.yaml")
    message = str(e.value)
    assert "Duplicate key 'name'" in message
    assert "line 3" in message and "line 1" in message
    assert "task.yaml" in message
    assert e.value.field == "name"


def test_duplicate_nested_key_rejected() -> None:
    text = textwrap.dedent("""\
        resources:
          cpus: 4
          accelerators: A100
          cpus: 8
        """)
    with pytest.raises(TaskValidationError, match="Duplicate key 'cpus'.*line 4"):
        load_yaml_documents(text)


def test_duplicate_key_deep_in_a_list() -> None:
    text = "resources:\n  any_of:\n    - cloud: aws\n      cloud: gcp\n"
    with pytest.raises(TaskValidationError, match="Duplicate key 'cloud'"):
        load_yaml_documents(text)


def test_same_key_in_sibling_mappings_is_fine() -> None:
    text = "a:\n  x: 1\nb:\n  x: 2\n"
    assert load_yaml_documents(text) == [{"a": {"x": 1}, "b": {"x": 2}}]


def test_merge_keys_may_be_overridden() -> None:
    text = "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\n"
    assert load_yaml_documents(text)[0]["d"] == {"x": 3, "y": 2}


def test_set_literal_parses_to_null_values() -> None:
    # The form SkyPilot users write for "any of these accelerators".
    assert load_yaml_documents("acc: {A100:8, V100:8}\n") == [{"acc": {"A100:8": None,
                                                                         "V100:8": None}}]


@pytest.mark.parametrize("text, kind", [("hello", "str"), ("42", "int"), ("- a\n- b\n", "list"),
                                        ("3.5", "float")])
def test_non_mapping_document_is_an_error(text: str, kind: str) -> None:
    with pytest.raises(TaskValidationError, match=f"must be a YAML mapping.*{kind}"):
        load_yaml_documents(text)


def test_non_mapping_allowed_when_not_required() -> None:
    assert load_yaml_documents("- a\n", require_mapping=False) == [["a"]]


def test_non_mapping_second_document_named() -> None:
    with pytest.raises(TaskValidationError, match="document 2"):
        load_yaml_documents("run: a\n---\njust a string\n", "p.yaml")


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xfe\xfa",
                                  bytes(range(256))])
def test_binary_input_is_a_clean_error(data: bytes) -> None:
    with pytest.raises(TaskValidationError, match="binary|UTF-8"):
        load_yaml_documents(data, "model.bin")


def test_nul_in_text_is_a_clean_error() -> None:
    with pytest.raises(TaskValidationError, match="binary"):
        load_yaml_documents("run: a\x00b")


def test_bytes_utf8_accepted_with_bom() -> None:
    assert load_yaml_documents("\ufeffname: x\n".encode()) == [{"name": "x"}]


def test_syntax_error_reports_line() -> None:
    with pytest.raises(TaskValidationError, match=r"Invalid YAML in f.yaml at line \d+"):
        load_yaml_documents("a: [1, 2\nb: 3\n", "f.yaml")


def test_wrong_input_type() -> None:
    with pytest.raises(TaskValidationError, match="expected text"):
        load_yaml_documents(123)  # type: ignore[arg-type]


def test_uses_libyaml_when_available() -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(yaml_utils._StrictLoader, yaml.CSafeLoader)


def test_dump_yaml_block_strings_and_order() -> None:
    obj = {"name": "t", "run": "echo a\necho b\n", "envs": {"B": "1", "A": "2"}}
    text = dump_yaml(obj)
    assert "run: |" in text
    assert text.index("name") < text.index("run") < text.index("envs")
    assert text.index("B:") < text.index("A:")
    assert load_yaml_documents(text) == [obj]


def test_dump_documents_round_trip() -> None:
    docs = [{"name": "p"}, {"run": "x"}]
    assert load_yaml_documents(dump_yaml_documents(docs)) == docs
