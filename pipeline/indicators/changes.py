"""Changes over time (``forandringar``) and comparisons with references (``jamforelser``).

``forandringar``: for every series (skolform × nivå × unit × indikator × grupp) and läsår L, two
rows: ``typ = "ett_ar"`` compares L with L − 1; ``typ = "period"`` compares L with the earliest
läsår of the trend period that has a value (``L − trend_ar + 1`` … ``L − 2``). A pair is left out
when either end is missing or suppressed (a change must not reveal a hidden value). Tests:

- shares (``andel``): two-proportion z-test with pooled variance (``z-test, två andelar``);
- means (``medel``): Welch's t-test from the group statistics mean, standard error and n
  (``Welch t-test``);
- rates (cases per 100): exact conditional test of two Poisson rates (``exakt test,
  Poissonkvoter``);
- differences and value added with a standard error: z-test of the difference (``z-test``);
- otherwise (register totals and ratios, published values without n/sd): no test (``ingen``;
  ``p_varde`` empty, ``signifikant`` False, ``riktning_bedomning = "ej_testad"``).

``forandring`` is in procentenheter for shares (the 0–100 scale), in the indicator's own unit
otherwise (``forandring_enhet``). ``riktning_bedomning``: ``oforandrad`` unless significant; then
``forbattring``/``forsamring`` by the registry's ``riktning``, or ``okning``/``minskning`` for
neutral indicators.

``jamforelser``: each unsuppressed enhet/huvudman/kommun value (computed or published; counts
excepted) against riket, the jämförelsegrupp and (for
a unit) its huvudman at the same läsår × skolform × indikator × grupp, and against the local
targets (``mal``). The reference value is treated as fixed: shares get a one-sample z-test
(``z-test mot referens``), means a one-sample t-test from the standard error
(``t-test mot referens``); against a target there is no test, only ``uppnatt``/``ej_uppnatt``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from pipeline.indicators import stats

SERIES = ["skolform", "niva", "skolenhetskod", "indikator", "grupp"]

FORANDRING_COLUMNS = [
    "lasar",
    "skolform",
    "niva",
    "skolenhetskod",
    "enhet",
    "indikator",
    "grupp",
    "typ",
    "lasar_fran",
    "lasar_till",
    "varde_fran",
    "varde_till",
    "forandring",
    "forandring_enhet",
    "test",
    "p_varde",
    "signifikant",
    "riktning_bedomning",
]
JAMFORELSE_COLUMNS = [
    "lasar",
    "skolform",
    "niva",
    "skolenhetskod",
    "enhet",
    "indikator",
    "grupp",
    "jamfor_med",
    "varde",
    "referens_varde",
    "skillnad",
    "test",
    "p_varde",
    "signifikant",
    "bedomning",
]

#: The word of a change per unit code: the same words as ``procentenheter`` and ``enheter`` in
#: params/labels.yml (tests/indicators/test_changes_published.py checks they agree).
UNIT_WORDS = {
    "procent": "procentenheter",
    "poang": "poäng",
    "kvot": "",
    "index": "",
    "antal": "",
    "per_100": "per 100 elever",
}


def _change_units(ids: pd.Series, enhet_of: dict, enhet_ord_of: dict) -> pd.Series:
    """The unit word of each change: a count's own word, else the word of its unit."""
    words = ids.map({k: v for k, v in enhet_ord_of.items() if v})
    return words.fillna(ids.map(enhet_of).map(UNIT_WORDS)).fillna("")


def _empty(cols):
    return pd.DataFrame({c: [] for c in cols})


def _direction(diff, signif, tested, riktning):
    up = np.where(
        riktning == "lagre_battre", "forsamring", np.where(riktning == "neutral", "okning", "forbattring")
    )
    down = np.where(
        riktning == "lagre_battre", "forbattring", np.where(riktning == "neutral", "minskning", "forsamring")
    )
    res = np.where(diff > 0, up, np.where(diff < 0, down, "oforandrad"))
    res = np.where(signif, res, "oforandrad")
    return np.where(tested, res, "ej_testad")


def _test(stat, v1, se1, n1, v2, se2, n2):
    """p-values and test names for pairs (1 = earlier, 2 = later)."""
    p = np.full(len(stat), np.nan)
    name = np.full(len(stat), "ingen", dtype=object)
    a = (stat == "andel") & np.isfinite(n1) & np.isfinite(n2) & (n1 > 0) & (n2 > 0)
    p[a] = stats.two_proportion_test(v1[a] / 100, n1[a], v2[a] / 100, n2[a])
    name[a] = "z-test, två andelar"
    m = (stat == "medel") & np.isfinite(se1) & np.isfinite(se2) & (n1 > 1) & (n2 > 1)
    p[m] = stats.welch_test(v1[m], se1[m], n1[m], v2[m], se2[m], n2[m])
    name[m] = "Welch t-test"
    z = np.isin(stat, ["skillnad", "va"]) & np.isfinite(se1) & np.isfinite(se2)
    p[z] = stats.z_test(v1[z], se1[z], v2[z], se2[z])
    name[z] = "z-test"
    r = (stat == "rate") & np.isfinite(n1) & np.isfinite(n2) & (n1 > 0) & (n2 > 0)
    p[r] = stats.poisson_rate_test(v1[r] * n1[r] / 100, n1[r], v2[r] * n2[r] / 100, n2[r])
    name[r] = "exakt test, Poissonkvoter"
    return p, name


def compute_forandringar(
    table: pd.DataFrame,
    *,
    trend_ar: int,
    signifikansniva: float,
    riktning: dict,
    enhet_of: dict,
    enhet_ord_of: dict | None = None,
) -> pd.DataFrame:
    """Changes from last year and over the trend period (see module doc).

    Parameters
    ----------
    table
        Indicator rows with the published columns plus ``se`` and ``stat`` (statistic kind).
    trend_ar, signifikansniva
        From ``installningar``.
    riktning, enhet_of
        Indicator id → the registry's ``riktning`` / ``enhet``.
    enhet_ord_of
        Indicator id → the registry's ``enhet_ord`` (a count's word, e.g. ``elever``): the
        ``forandring_enhet`` of a count that has one.
    """
    t = table[table["varde"].notna() & ~table["undertryckt"].astype(bool)].copy()
    if len(t) == 0:
        return _empty(FORANDRING_COLUMNS)
    t = t[[*SERIES, "lasar", "enhet", "varde", "antal", "se", "stat"]].copy()
    t["antal"] = t["antal"].astype("Float64").astype("float64")
    left = t.rename(columns={c: f"{c}_fran" for c in ("lasar", "varde", "antal", "se")})
    pairs = t.merge(left.drop(columns=["enhet", "stat"]), on=SERIES, how="inner")
    gap = pairs["lasar"] - pairs["lasar_fran"]
    one = pairs[gap == 1].assign(typ="ett_ar")
    per = pairs[(gap >= 2) & (gap <= trend_ar - 1)]
    per = (
        per.sort_values([*SERIES, "lasar", "lasar_fran"])
        .drop_duplicates([*SERIES, "lasar"], keep="first")
        .assign(typ="period")
    )
    d = pd.concat([one, per], ignore_index=True)
    if len(d) == 0:
        return _empty(FORANDRING_COLUMNS)
    stat = d["stat"].astype(str).to_numpy()
    p, name = _test(
        stat,
        d["varde_fran"].to_numpy(float),
        d["se_fran"].to_numpy(float),
        d["antal_fran"].to_numpy(float),
        d["varde"].to_numpy(float),
        d["se"].to_numpy(float),
        d["antal"].to_numpy(float),
    )
    diff = d["varde"].to_numpy(float) - d["varde_fran"].to_numpy(float)
    tested = name != "ingen"
    signif = tested & (np.nan_to_num(p, nan=1.0) < signifikansniva)
    rikt = d["indikator"].map(riktning).fillna("neutral").to_numpy()
    out = pd.DataFrame(
        {
            "lasar": d["lasar"].astype("int64"),
            "skolform": d["skolform"],
            "niva": d["niva"],
            "skolenhetskod": d["skolenhetskod"],
            "enhet": d["enhet"],
            "indikator": d["indikator"],
            "grupp": d["grupp"],
            "typ": d["typ"],
            "lasar_fran": d["lasar_fran"].astype("int64"),
            "lasar_till": d["lasar"].astype("int64"),
            "varde_fran": d["varde_fran"],
            "varde_till": d["varde"],
            "forandring": diff,
            "forandring_enhet": _change_units(d["indikator"], enhet_of, enhet_ord_of or {}),
            "test": name,
            "p_varde": p,
            "signifikant": signif,
            "riktning_bedomning": _direction(diff, signif, tested, rikt),
        }
    )
    return out.sort_values(
        ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp", "typ"], kind="mergesort"
    ).reset_index(drop=True)


def compute_jamforelser(
    table: pd.DataFrame, *, mal: tuple = (), signifikansniva: float, riktning: dict
) -> pd.DataFrame:
    """Comparisons with riket, the jämförelsegrupp, the huvudman and local targets (module doc)."""
    t = table[table["varde"].notna() & ~table["undertryckt"].astype(bool)].copy()
    own = t[t["niva"].isin(["enhet", "huvudman", "kommun"]) & t["stat"].notna() & ~t["stat"].eq("antal")]
    if len(own) == 0:
        return _empty(JAMFORELSE_COLUMNS)
    key = ["lasar", "skolform", "indikator", "grupp"]
    parts = []
    refs = [
        ("riket", t[t["niva"].eq("riket")]),
        ("jamforelse", t[t["niva"].eq("jamforelse")]),
        ("huvudman", t[t["niva"].eq("huvudman")]),
    ]
    for name, ref in refs:
        ref = ref[[*key, "varde"]].drop_duplicates(key).rename(columns={"varde": "referens_varde"})
        base = own[own["niva"].eq("enhet")] if name == "huvudman" else own
        m = base.merge(ref, on=key, how="inner")
        if len(m):
            parts.append(m.assign(jamfor_med=name))
    if parts:
        d = pd.concat(parts, ignore_index=True)
        v, r = d["varde"].to_numpy(float), d["referens_varde"].to_numpy(float)
        n = d["antal"].astype("Float64").astype("float64").to_numpy()
        se = d["se"].to_numpy(float)
        stat = d["stat"].astype(str).to_numpy()
        p = np.full(len(d), np.nan)
        test = np.full(len(d), "ingen", dtype=object)
        a = (stat == "andel") & (n > 0) & (r > 0) & (r < 100)
        with np.errstate(invalid="ignore", divide="ignore"):
            p[a] = 2 * sps.norm.sf(
                np.abs((v[a] - r[a]) / 100 / np.sqrt(r[a] / 100 * (1 - r[a] / 100) / n[a]))
            )
            test[a] = "z-test mot referens"
            m = (stat == "medel") & np.isfinite(se) & (se > 0) & (n > 1)
            p[m] = 2 * sps.t.sf(np.abs((v[m] - r[m]) / se[m]), n[m] - 1)
            test[m] = "t-test mot referens"
            z = np.isin(stat, ["rate", "skillnad", "va"]) & np.isfinite(se) & (se > 0)
            p[z] = 2 * sps.norm.sf(np.abs((v[z] - r[z]) / se[z]))
            test[z] = "z-test mot referens"
        tested = test != "ingen"
        signif = tested & (np.nan_to_num(p, nan=1.0) < signifikansniva)
        rikt = d["indikator"].map(riktning).fillna("neutral").to_numpy()
        diff = v - r
        better = np.where(rikt == "lagre_battre", diff < 0, diff > 0)
        bed = np.where(
            rikt == "neutral", np.where(diff > 0, "hogre", "lagre"), np.where(better, "battre", "samre")
        )
        bed = np.where(tested, np.where(signif, bed, "ingen_skillnad"), "ej_testad")
        d = d.assign(skillnad=diff, test=test, p_varde=p, signifikant=signif, bedomning=bed)
        parts = [d]
    if mal:
        md = pd.DataFrame(
            [
                {
                    "indikator": m.indikator,
                    "skolform": m.skolform,
                    "grupp": m.grupp,
                    "referens_varde": float(m.varde),
                }
                for m in mal
            ]
        )
        mm = own.merge(md, on=["indikator", "skolform", "grupp"], how="inner")
        if len(mm):
            rikt = mm["indikator"].map(riktning).fillna("hogre_battre").to_numpy()
            v, r = mm["varde"].to_numpy(float), mm["referens_varde"].to_numpy(float)
            ok = np.where(rikt == "lagre_battre", v <= r, v >= r)
            parts.append(
                mm.assign(
                    jamfor_med="mal",
                    skillnad=v - r,
                    test="ingen",
                    p_varde=np.nan,
                    signifikant=False,
                    bedomning=np.where(ok, "uppnatt", "ej_uppnatt"),
                )
            )
    if not parts:
        return _empty(JAMFORELSE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[JAMFORELSE_COLUMNS]
    return out.sort_values(
        ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp", "jamfor_med"], kind="mergesort"
    ).reset_index(drop=True)
