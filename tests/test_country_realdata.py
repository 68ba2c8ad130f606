"""``KOMMUN=all`` on the real files: a kommun's slice of the national ingest is its own ingest.

``KOMMUN=all`` reads ``../shared/realdata`` once without a kommun filter and cuts each kommun's
tables from that (:mod:`pipeline.ingest.subset`). A ``KOMMUN=<kod>`` run reads the same folder
with the kommun's filter. Both must give the kommun the same tables, row for row and value for
value: otherwise a kommun's report would depend on how it was built. Checked for three kommuner
in three counties: 0114 Upplands Väsby (Stockholms län: the statistics API and its unit details
cover it), 1440 Ale (Västra Götaland: outside the API file's län 01-09, its units come from the
skolenhet exports and the skolenhetsregister) and 2584 Kiruna (Norrbotten).

One national ingest is shared by the tests (a session fixture, written as ``KOMMUN=all`` writes
it: :func:`pipeline.ingest.run_ingest` with no kommun, then
:func:`pipeline.ingest.subset.write_kommun_subset`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_params
from pipeline.ingest import INGEST_STAMP, LEDGER_FILE, run_ingest
from pipeline.ingest.sources import ReadContext
from pipeline.ingest.subset import write_kommun_subset
from pipeline.paths import ProjectPaths
from pipeline.report import read_context
from tests.e2e_support import REPO

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

KOMMUNER = {"0114": "Upplands Väsby", "1440": "Ale", "2584": "Kiruna"}


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Every table of a processed folder but the ledger (which the two ways word differently:
    per file for a kommun's own read, per source for a slice), by name."""
    return {
        p.stem: pd.read_parquet(p)
        for p in sorted(folder.glob("*.parquet"))
        if p.name not in (LEDGER_FILE, INGEST_STAMP)
    }


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    cols = list(df.columns)
    if df.empty:
        return df.reset_index(drop=True)
    return df.sort_values(cols, kind="mergesort", na_position="first").reset_index(drop=True)


@pytest.fixture(scope="session")
def national(realdata: Path, tmp_path_factory) -> Path:
    """The national ingest of the real files, as ``KOMMUN=all`` writes it."""
    params = load_params(ProjectPaths(REPO))
    ctx = ReadContext(
        kolumnmappning=dict(params.kolumnmappning), kommunkod=None, jamforelsegrupp=(),
        installningar=params.installningar, enhetsbyten=tuple(params.enhetsbyten),
    )  # fmt: skip
    out = tmp_path_factory.mktemp("realdata-alla") / "processed"
    run_ingest(realdata, out, ctx)
    return out


@pytest.mark.parametrize("kommun", sorted(KOMMUNER))
def test_slice_of_the_national_ingest_equals_the_kommuns_own_ingest(
    kommun: str, national: Path, realdata: Path, tmp_path: Path
):
    sliced = tmp_path / "slice"
    write_kommun_subset(national, sliced, kommun)
    own = tmp_path / "own"
    params = load_params(ProjectPaths(REPO), kommun=kommun)
    # A KOMMUN=all report has no comparison group (its slice keeps riket and the kommun only); a
    # single KOMMUN= run adds the members of params/jamforelsegrupper.yml (0114's example group):
    # compared without them, like with like.
    params = params.model_copy(
        update={"huvudman": params.huvudman.model_copy(update={"jamforelsegrupp": ()})}
    )
    run_ingest(realdata, own, read_context(params))

    a, b = _tables(sliced), _tables(own)
    assert sorted(a) == sorted(b), f"{kommun}: the two folders hold different tables"
    # the kommun is in the files: its own rows and its units, not an empty pair that is trivially equal
    pub = b["publicerad"]
    assert (pub["kommunkod"] == kommun).any(), f"no rows of {kommun} {KOMMUNER[kommun]}"
    assert (b["skolenheter"]["kommunkod"] == kommun).any(), f"no units of {kommun}"
    assert set(pub["kommunkod"].dropna()) <= {kommun, *pub.loc[pub["niva"] == "riket", "kommunkod"].dropna()}
    for name in sorted(a):
        x, y = _sorted(a[name]), _sorted(b[name])
        assert list(x.columns) == list(y.columns), f"{kommun} {name}: columns differ"
        if len(x) != len(y) or not x.equals(y):
            both = x.merge(y, how="outer", indicator=True)
            diff = both[both["_merge"] != "both"]
            pytest.fail(
                f"{kommun} {name}: slice has {len(x)} rows, own ingest {len(y)}; "
                f"{len(diff)} rows differ (left_only: only in the slice):\n{diff.head(20).to_string()}"
            )
