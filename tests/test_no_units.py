"""A report with no unit of the huvudman in the chosen year is exit 2, saying who, which year and
what the files hold (unless --allow-empty)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.report import no_units_message
from tests.e2e_support import cli, make_project


def _ind(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["lasar", "niva", "skolenhetskod"])


def test_message_names_kommun_year_and_what_the_files_hold():
    ind = _ind(
        [
            (2025, "kommun", ""), (2025, "riket", ""), (2025, "riket", ""),
            (2024, "enhet", "11111111"), (2024, "enhet", "22222222"), (2023, "enhet", "11111111"),
        ]
    )  # fmt: skip
    msg = no_units_message(ind, 2025, "0192", "Nynäshamn", "0192")
    assert msg.startswith("KOMMUN=0192 (Nynäshamn), läsår 2024/25 (YEAR=2025): no unit")
    # by hand: the files span 2022/23-2024/25; in 2024/25 one kommun and two riket values;
    # units in 2023/24 (2 units) and 2022/23 (1 unit)
    assert "The files hold läsår 2022/23–2024/25; in 2024/25: kommun 1 values, riket 2 values" in msg
    assert "units with values in other years: 2023/24 (2), 2022/23 (1)" in msg
    assert "--allow-empty" in msg and "ALLOW_EMPTY=1" in msg


def test_report_without_units_exits_2(tmp_path: Path):
    root = make_project(tmp_path / "proj")
    data = tmp_path / "nedladdningar"
    data.mkdir()
    pd.DataFrame(
        {
            "kpi": ["N11050", "N11050"],
            "municipality_id": ["0114", "0000"],
            "year": pd.array([2024, 2024], dtype="int32"),
            "count": pd.array([1, 1], dtype="int32"),
            "gender": ["T", "T"],
            "status": ["", ""],
            "value": [61.0, 70.0],
            "municipality": ["Upplands Väsby", "Riket"],
            "municipality_type": ["K", "L"],
        }
    ).to_parquet(data / "2024-12-12_KOLADA_data_raw.parquet", index=False)
    res = cli(root, "report", "2024", "--data", str(data), "--kommun", "0114", "--no-pdf", timeout=600)
    assert res.returncode == 2, res.stdout + res.stderr[-3000:]
    assert "KOMMUN=0114" in res.stderr and "läsår 2023/24 (YEAR=2024): no unit" in res.stderr
    assert "in 2023/24: kommun" in res.stderr  # what the file does hold
    assert not (root / "reports" / "2024").exists()
