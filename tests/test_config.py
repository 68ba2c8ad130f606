"""params/ loading: typed, strict, with messages that name the file, key and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.config import load_params
from pipeline.errors import ConfigError
from pipeline.paths import REPO_ROOT, ProjectPaths


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    d = tmp_path / "params"
    shutil.copytree(REPO_ROOT / "params", d)
    return d


def _load(params_dir: Path):
    return load_params(ProjectPaths(params_dir.parent, params=params_dir))


def test_repository_params_load():
    p = load_params()
    assert p.huvudman.namn == "Exempelkommun"
    assert p.huvudman.kommunkod == "9999"
    assert p.installningar.undertryck_min_antal == 10
    assert len(p.params_hash) == 64


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("namn: X\nkommunkod: 0114\n", "quoted"),  # PyYAML: a number
        ("namn: X\nkommunkod: '114'\n", "4 digits"),
        ("namn: X\nkommunkod: '0114'\nokand_nyckel: 1\n", "unknown key"),
        ("namn: X\n", "kommunkod"),
        ("namn: X\nkommunkod: '0114'\njamforelsegrupp: [0114]\n", "quoted"),
        ("namn: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "mapping"),
    ],
)
def test_bad_huvudman_is_a_config_error(params_dir: Path, text: str, fragment: str):
    (params_dir / "huvudman.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        _load(params_dir)
    assert fragment in str(exc.value)
    assert "huvudman" in str(exc.value) or "params" in str(exc.value)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("undertryck_min_antal: 0\n", "undertryck_min_antal"),
        ("undertryck_min_antal: tio\n", "undertryck_min_antal"),
        ("signifikansniva: 0.9\n", "signifikansniva"),
        ("trosklar: 3\n", "unknown key"),
    ],
)
def test_bad_settings(params_dir: Path, text: str, fragment: str):
    (params_dir / "installningar.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        _load(params_dir)


def test_missing_huvudman_file(params_dir: Path):
    (params_dir / "huvudman.yml").unlink()
    with pytest.raises(ConfigError, match="file not found"):
        _load(params_dir)


def test_kommun_override_keeps_code_as_text(params_dir: Path):
    p = load_params(ProjectPaths(params_dir.parent, params=params_dir), kommun="0114")
    assert p.huvudman.kommunkod == "0114"


def test_params_hash_changes_with_content(params_dir: Path):
    a = _load(params_dir).params_hash
    (params_dir / "mal.yml").write_text("mal: []\n", encoding="utf-8")
    assert _load(params_dir).params_hash != a


def test_label_lookup_is_loud(params_dir: Path):
    p = _load(params_dir)
    with pytest.raises(ConfigError, match="labels.yml"):
        p.label("finns", "inte")
    assert p.label("finns", "inte", default="x") == "x"


def test_kommun_report_reads_its_comparison_group(params_dir: Path):
    (params_dir / "jamforelsegrupper.yml").write_text(
        "jamforelsegrupper:\n  '0114':\n    namn: Liknande kommuner enligt Kolada\n"
        "    kommuner:\n      '0115': Vallentuna\n      '0117': Österåker\n",
        encoding="utf-8",
    )
    paths = ProjectPaths(params_dir.parent, params=params_dir)
    hm = load_params(paths, kommun="0114").huvudman
    assert hm.jamforelsegrupp == ("0115", "0117")
    assert hm.jamforelsegrupp_namn == "Liknande kommuner enligt Kolada"
    assert hm.jamforelsegrupp_medlemmar == {"0115": "Vallentuna", "0117": "Österåker"}
    # a kommun without an entry has no group; the configured huvudman keeps huvudman.yml's
    assert load_params(paths, kommun="0180").huvudman.jamforelsegrupp == ()
    assert load_params(paths).huvudman.jamforelsegrupp == ()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("jamforelsegrupper:\n  114:\n    kommuner: {'0115': V}\n", "quoted"),
        ("jamforelsegrupper:\n  '0114':\n    kommuner: {115: V}\n", "4-digit"),
        ("jamforelsegrupper:\n  '0114':\n    kommuner: {'0114': V}\n", "without the report's own"),
        ("jamforelsegrupper:\n  '0114':\n    medlemmar: {'0115': V}\n", "expected 'namn' and 'kommuner'"),
        ("grupper: {}\n", "top-level key"),
    ],
)
def test_bad_comparison_group_is_a_config_error(params_dir: Path, text: str, fragment: str):
    (params_dir / "jamforelsegrupper.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment) as exc:
        load_params(ProjectPaths(params_dir.parent, params=params_dir), kommun="0114")
    assert "jamforelsegrupper.yml" in str(exc.value)
