"""pipeline.stages: the one way every build cache hashes its inputs, records the key, and skips."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.stages import Stamp, hash_named_files, hash_tree, stage_key, tree_files


def test_stamp_records_the_key_and_matches_only_it_with_outputs_present(tmp_path: Path):
    out = tmp_path / "ut.txt"
    out.write_text("x")
    stamp = Stamp(tmp_path / "_s.json")
    assert stamp.read() == {} and stamp.key() is None and not stamp.matches("k1", [out])
    stamp.write("k1", rows={"a": 2})
    assert json.loads((tmp_path / "_s.json").read_text()) == {"key": "k1", "rows": {"a": 2}}
    assert stamp.matches("k1", [out]) and not stamp.matches("k2", [out])
    out.unlink()  # the output is gone: the step runs again although the key is the same
    assert not stamp.matches("k1", [out])
    stamp.clear()
    assert stamp.key() is None


def test_stamp_as_a_field_of_a_manifest_and_a_broken_record_is_no_record(tmp_path: Path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"lasar": 2024, "build_key": "abc"}))
    assert Stamp(manifest, field="build_key").key() == "abc"
    assert Stamp(manifest, field="country_key").key() is None
    manifest.write_text("{not json")
    assert Stamp(manifest, field="build_key").key() is None
    manifest.write_text("[1, 2]")
    assert Stamp(manifest, field="build_key").read() == {}


def test_the_job_record_keeps_its_bytes(tmp_path: Path):
    # the notebook cache's record as it was written before the helper: sorted keys, indent 1, newline
    Stamp(tmp_path / "r.json", field="hash").write(
        "h", indent=1, newline=True, job="GR/1/2024", output_sha256="s"
    )
    expected = (
        json.dumps({"job": "GR/1/2024", "hash": "h", "output_sha256": "s"}, sort_keys=True, indent=1) + "\n"
    )
    assert (tmp_path / "r.json").read_text() == expected


def test_stage_key_is_the_sha256_of_canonical_json():
    # by hand: sha256 of the JSON text with sorted keys (the ingest and job keys were made this way)
    inputs = {"b": [1, 2], "a": {"y": "z"}}
    text = '{"a": {"y": "z"}, "b": [1, 2]}'
    assert stage_key(inputs) == hashlib.sha256(text.encode()).hexdigest()
    assert stage_key({"a": {"y": "z"}, "b": [1, 2]}) == stage_key(inputs)
    assert stage_key({**inputs, "b": [2, 1]}) != stage_key(inputs)


def test_hash_tree_sees_names_and_bytes_but_not_caches_or_hidden_files(tmp_path: Path):
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    before = hash_tree(tmp_path)
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-312.pyc").write_bytes(b"\0")
    (tmp_path / ".hidden").write_text("secret")
    assert hash_tree(tmp_path) == before
    assert tree_files(tmp_path) == [tmp_path / "pkg" / "a.py"]
    (tmp_path / "pkg" / "a.py").rename(tmp_path / "pkg" / "b.py")  # same bytes, new name
    assert hash_tree(tmp_path) != before
    # by hand: relative name, NUL, bytes, NUL
    assert hash_tree(tmp_path) == hashlib.sha256(b"pkg/b.py\0x = 1\n\0").hexdigest()
    assert hash_named_files([tmp_path / "pkg" / "b.py"], tmp_path) == hash_tree(tmp_path)
    assert hash_tree(tmp_path / "missing") == hashlib.sha256().hexdigest()
