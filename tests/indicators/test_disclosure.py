"""The disclosure audit (linear programming over the tables' relations) and the secondary
suppression it drives. Each known leak is a hand-made table with the attacker's derivation worked
out in a comment; the audit must find it, and ``protect`` must close it."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.indicators.core import aggregate_values, explode_groups, finish_cells
from pipeline.indicators.disclosure import (
    DisclosureAuditError,
    audit_problem,
    audit_table,
    build_problem,
    primary_hidden,
    protect,
)

KINDS = {"x": "andel", "m": "medel", "barngruppsstorlek": "kvot", "avvikelser_per_100": "rate"}
SCALE_M = "meritvarde_17"  # a mean with a known scale (0-340)


def table(rows, indikator="x", typ="andel"):
    """rows: (niva, skolenhetskod, grupp, antal, varde) -> cell frame."""
    df = pd.DataFrame(rows, columns=["niva", "skolenhetskod", "grupp", "antal", "varde"])
    return finish_cells(
        df.assign(lasar=2024, skolform="GR", indikator=indikator, typ=typ, kalla="Egen beräkning")
    )


def naive_intervals(cells, min_antal=10):
    """Feasibility intervals when only the primary cells are hidden: {(kod, grupp): (lo, hi)}."""
    prim = primary_hidden(cells, min_antal=min_antal)
    p = build_problem(cells, hidden=prim, primary=prim, min_antal=min_antal, truth=cells["varde"].to_numpy())
    res = audit_problem(p, skyddsintervall=0.25)
    return {(i.key[3], i.key[5] if len(i.key) == 6 else i.key[6]): (i.lo, i.hi) for i in res.intervals}, res


def hidden_set(out):
    return {(r.niva, r.skolenhetskod, r.grupp) for r in out.itertuples() if r.undertryckt}


def published(out):
    """The table as a reader gets it (hidden values empty), for the independent audit."""
    return out.assign(enhet="", markering="", kalla="Egen beräkning")


# ------------------------------------------------------------------ known leaks


def test_huvudman_share_of_100_percent_reveals_every_hidden_unit():
    # Units A (5 pupils, 5 passed) and B (30 pupils, 30 passed); huvudman 35 pupils, 100 %.
    # A is hidden (5 < 10). Attacker: 35 passed in all, B published 30 of 30, so A = 35 - 30 = 5:
    # all of A passed. Hiding B as well does not help: x_A + x_B = 35 with x_A <= 5, x_B <= 30
    # forces x_A = 5. Only hiding the huvudman cell protects A.
    cells = table(
        [
            ("enhet", "A", "samtliga", 5, 100.0),
            ("enhet", "B", "samtliga", 30, 100.0),
            ("huvudman", "", "samtliga", 35, 100.0),
        ]
    )
    iv, res = naive_intervals(cells)
    assert iv[("A", "samtliga")] == (5, 5)
    assert len(res.failing) == 1
    out, audit = protect(cells, min_antal=10, skyddsintervall=0.25)
    assert ("huvudman", "", "samtliga") in hidden_set(out)
    assert audit.failing == ()
    audit_table(published(out), kinds={"x": "andel"}, min_antal=10, skyddsintervall=0.25)


def test_groups_that_partition_samtliga():
    # Unit A: samtliga 20 pupils, 12 passed; flickor 12 (8 passed); pojkar 8 (4 passed).
    # Unit B: samtliga 30 (20), flickor 15 (10), pojkar 15 (10). Huvudman: 50 (32), 27 (18), 23 (14).
    # A pojkar is hidden (8 < 10). Attacker: pojkar of A = samtliga - flickor = 12 - 8 = 4 exactly
    # (and also = huvudman pojkar - B pojkar = 14 - 10 = 4).
    rows = [
        ("enhet", "A", "samtliga", 20, 60.0),
        ("enhet", "A", "flickor", 12, 100 * 8 / 12),
        ("enhet", "A", "pojkar", 8, 50.0),
        ("enhet", "B", "samtliga", 30, 100 * 20 / 30),
        ("enhet", "B", "flickor", 15, 100 * 10 / 15),
        ("enhet", "B", "pojkar", 15, 100 * 10 / 15),
        ("huvudman", "", "samtliga", 50, 64.0),
        ("huvudman", "", "flickor", 27, 100 * 18 / 27),
        ("huvudman", "", "pojkar", 23, 100 * 14 / 23),
    ]
    cells = table(rows)
    iv, _ = naive_intervals(cells)
    assert iv[("A", "pojkar")] == (4, 4)
    out, audit = protect(cells, min_antal=10, skyddsintervall=0.25)
    # A pojkar needs a partner in its row and in its column, and that partner one in its row:
    # A flickor, B pojkar, B flickor (the smallest rectangle); the huvudman cells stay published.
    assert hidden_set(out) == {
        ("enhet", "A", "pojkar"),
        ("enhet", "A", "flickor"),
        ("enhet", "B", "pojkar"),
        ("enhet", "B", "flickor"),
    }
    assert audit.failing == ()
    audit_table(published(out), kinds={"x": "andel"}, min_antal=10, skyddsintervall=0.25)


def test_optional_kon_leaves_a_rest_that_is_protected():
    # Samtliga 23 pupils (14 passed), flickor 10 (6), pojkar 10 (7): 3 pupils of unknown kön are
    # only in samtliga. Attacker: passed among them = 14 - 6 - 7 = 1, exactly, about 3 pupils.
    cells = table(
        [
            ("enhet", "A", "samtliga", 23, 100 * 14 / 23),
            ("enhet", "A", "flickor", 10, 60.0),
            ("enhet", "A", "pojkar", 10, 70.0),
        ]
    )
    iv, res = naive_intervals(cells)
    assert iv[("A", "rest:flickor+pojkar")] == (1, 1)
    assert [f.key[-1] for f in res.failing] == ["rest:flickor+pojkar"]
    out, audit = protect(cells, min_antal=10, skyddsintervall=0.25)
    # hiding flickor (the first of the two smallest) opens it: rest + flickor = 14 - 7 = 7, so the
    # rest can be anything from 0 to 3
    assert hidden_set(out) == {("enhet", "A", "flickor")}
    assert audit.failing == ()


def test_ratio_published_with_its_antal():
    # Förskola barngruppsstorlek = children / groups, antal = children. A: 8 children, 1 group;
    # B: 40 children, 3 groups; C: 36 children, 2 groups; huvudman 84 children, 6 groups (14).
    # A is hidden (8 < 10). Attacker: groups = antal / size: 84/14 - 40/(40/3) - 36/18 = 6 - 3 - 2
    # = 1 group at A, so A's size is 8/1 = 8.
    cells = table(
        [
            ("enhet", "A", "samtliga", 8, 8.0),
            ("enhet", "B", "samtliga", 40, 40 / 3),
            ("enhet", "C", "samtliga", 36, 18.0),
            ("huvudman", "", "samtliga", 84, 14.0),
        ],
        indikator="barngruppsstorlek",
        typ="kvot",
    )
    iv, _ = naive_intervals(cells)
    lo, hi = iv[("A", "samtliga")]
    assert lo == pytest.approx(1) and hi == pytest.approx(1)
    out, audit = protect(cells, min_antal=10, skyddsintervall=0.25)
    # hiding C (36 children, the smallest) leaves g_A + g_C = 3 with g_A in [0, 3]: 3/8 of A's range
    assert hidden_set(out) == {("enhet", "A", "samtliga"), ("enhet", "C", "samtliga")}
    assert audit.failing == ()


def test_cases_where_the_rest_is_zero():
    # Avvikelser per 100 pupils: A 8 pupils, 0 cases; B 50 pupils, 3 cases; C 40 pupils, 2 cases;
    # huvudman 98 pupils, 5 cases. A is hidden. Attacker: cases = rate/100 * antal, so A has
    # 5 - 3 - 2 = 0 cases.
    cells = table(
        [
            ("enhet", "A", "samtliga", 8, 0.0),
            ("enhet", "B", "samtliga", 50, 6.0),
            ("enhet", "C", "samtliga", 40, 5.0),
            ("huvudman", "", "samtliga", 98, 100 * 5 / 98),
        ],
        indikator="avvikelser_per_100",
        typ="rate",
    )
    iv, _ = naive_intervals(cells)
    assert iv[("A", "samtliga")] == (0, 0)
    out, audit = protect(cells, min_antal=10, skyddsintervall=0.25)
    # hiding C: cases_A + cases_C = 2, so A has 0..2 cases: width 2 of 8 = the margin 25 %
    assert hidden_set(out) == {("enhet", "A", "samtliga"), ("enhet", "C", "samtliga")}
    assert audit.narrowest.width == pytest.approx(0.25)


def test_mean_of_leavers_without_examen_is_a_protected_rest():
    # GBP of all 15 leavers = 14.0 (sum 210); GBP of the 12 with an examen = 15.0 (sum 180).
    # The 3 leavers without an examen: sum = 210 - 180 = 30, mean 10.0, exactly.
    rows = pd.concat(
        [
            table([("enhet", "A", "samtliga", 15, 14.0)], indikator="gbp_examen_studiebevis", typ="medel"),
            table([("enhet", "A", "samtliga", 12, 15.0)], indikator="gbp_examen", typ="medel"),
        ],
        ignore_index=True,
    )
    iv, res = naive_intervals(rows)
    assert iv[("A", "rest:gbp_examen")] == pytest.approx((30, 30))
    out, audit = protect(rows, min_antal=10, skyddsintervall=0.25)
    assert out["undertryckt"].sum() == 1 and audit.failing == ()


def test_audit_table_fails_the_build_on_a_leak():
    # the naive (old) suppression of the partition case: only A pojkar hidden -> exit 1
    cells = table(
        [
            ("enhet", "A", "samtliga", 20, 60.0),
            ("enhet", "A", "flickor", 12, 100 * 8 / 12),
            ("enhet", "A", "pojkar", 8, np.nan),
        ]
    )
    cells["undertryckt"] = cells["grupp"].eq("pojkar")
    with pytest.raises(DisclosureAuditError, match="pojkar") as exc:
        audit_table(published(cells), kinds={"x": "andel"}, min_antal=10, skyddsintervall=0.25)
    assert exc.value.exit_code == 1


def test_count_under_the_threshold_is_hidden():
    cells = table(
        [("enhet", "A", "samtliga", 7, 7.0), ("enhet", "B", "samtliga", 40, 40.0)],
        indikator="elevantal",
        typ="antal",
    )
    out, _ = protect(cells, min_antal=10, skyddsintervall=0.25)
    assert hidden_set(out) == {("enhet", "A", "samtliga")}


# ------------------------------------------------------------------ property


units_strategy = st.lists(
    st.tuples(
        st.integers(0, 14), st.integers(0, 14), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)
    ).filter(lambda t: t[0] + t[1] > 0),
    min_size=1,
    max_size=4,
)


def pupils(units, seed, unknown_kon):
    rng = np.random.default_rng(seed)
    rows = []
    for u, (nf, nb, pf, pb, pe) in enumerate(units):
        for kon, n, p in (("flicka", nf, pf), ("pojke", nb, pb)):
            for k in range(n):
                k_ = None if unknown_kon and k == 0 else kon
                rows.append(
                    (
                        f"U{u}",
                        k_,
                        "eftergymnasial" if rng.random() < pe else "gymnasial",
                        bool(rng.random() < 0.2),
                        float(rng.random() < p),
                    )
                )
    return pd.DataFrame(
        rows, columns=["skolenhetskod", "kon", "foraldrar_utbildning", "nyanland", "value"]
    ).assign(lasar=2024, skolform="GR", indikator="x")


@settings(max_examples=20, deadline=None)
@given(
    units_strategy,
    st.integers(0, 1000),
    st.sampled_from([5, 10]),
    st.booleans(),
    st.sampled_from([0.1, 0.25]),
)
def test_no_hidden_cell_is_recoverable_in_random_huvudman(units, seed, threshold, unknown_kon, margin):
    v = pupils(units, seed, unknown_kon)
    c = aggregate_values(
        explode_groups(v, groups=("kon", "foraldrar", "nyanland")), typ="andel", konfidensniva=0.95
    )
    c["kalla"] = "Egen beräkning"
    out, audit = protect(c, min_antal=threshold, skyddsintervall=margin)
    assert out.loc[out["undertryckt"], ["varde", "ki_lag", "ki_hog"]].isna().all().all()
    assert (pd.to_numeric(out.loc[~out["undertryckt"], "antal"]) >= threshold).all()
    assert all(i.width >= margin - 1e-9 for i in audit.intervals if i.primary)
    # the audit of the table as published (hidden values unknown) agrees
    audit_table(published(out), kinds={"x": "andel"}, min_antal=threshold, skyddsintervall=margin)


# ------------------------------------------------------------ shares over several rows per person


def test_share_over_results_is_not_modelled_as_persons_but_its_0_or_100_whole_is_hidden():
    # National tests, pooled over subjects: the share is over test results, antal counts pupils.
    # Unit A: 4 pupils (hidden, 4 < 10); unit B: 30 pupils, 100 %; huvudman: 34 pupils, 100 %.
    # The results behind each share are not published, so share × pupils is no count an attacker
    # can add up (B's 30 pupils may have 60 or 90 results) and no linear relation ties the cells.
    # But a huvudman share of 100 % says every result passed, so A is 100 % whatever the weights:
    # the huvudman cell must be hidden too. Unit C at 90 % keeps the other table's total published.
    rows = [
        ("enhet", "A", "samtliga", 4, 100.0),
        ("enhet", "B", "samtliga", 30, 100.0),
        ("huvudman", "", "samtliga", 34, 100.0),
    ]
    cells = table(rows, indikator="np_ak9_provbetyg_ae")
    out, _ = protect(cells, min_antal=10, skyddsintervall=0.25)
    assert hidden_set(out) == {("enhet", "A", "samtliga"), ("huvudman", "", "samtliga")}
    # the audit of what is published agrees, and refuses the table with the 100 % whole shown
    audit_table(published(out), kinds={"np_ak9_provbetyg_ae": "andel"}, min_antal=10, skyddsintervall=0.25)
    leaky = published(out.assign(undertryckt=out["niva"].eq("enhet") & out["skolenhetskod"].eq("A")))
    leaky.loc[leaky["niva"].eq("huvudman"), "varde"] = 100.0
    with pytest.raises(DisclosureAuditError, match="0 % or 100 %"):
        audit_table(leaky, kinds={"np_ak9_provbetyg_ae": "andel"}, min_antal=10, skyddsintervall=0.25)
    # a whole strictly between 0 and 100 with unknown weights pins nothing down: nothing more hidden
    rows2 = [
        ("enhet", "A", "samtliga", 4, 50.0),
        ("enhet", "C", "samtliga", 30, 90.0),
        ("huvudman", "", "samtliga", 34, 85.0),
    ]
    out2, _ = protect(table(rows2, indikator="np_ak9_provbetyg_ae"), min_antal=10, skyddsintervall=0.25)
    assert hidden_set(out2) == {("enhet", "A", "samtliga")}
