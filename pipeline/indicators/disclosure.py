"""Disclosure control: the published tables as linear relations, an audit by linear programming,
and secondary suppression chosen so that the audit passes.

Idea (Statistics Norway's GaussSuppression, ``ComputeIntervals``; tau-argus' protection levels):
every published table is a set of linear relations between its cells. An attacker who knows the
published cells can solve them for a hidden cell: the smallest and largest value the hidden cell can
take given everything published is its *feasibility interval*, found by two linear programs (min
and max). A hidden cell is protected when that interval is at least ``skyddsintervall`` of the
cell's possible range wide (GaussSuppression's ``rangePercent`` is relative to the cell value, which
protects nothing when the value is 0; for counts of persons the possible range 0..n is the honest
scale, so the requirement is relative to it).

Each cell carries one *additive quantity* ``x`` (what the relations add up):

- ``andel`` (share of n): x = number of persons with the outcome = varde/100 · n, in [0, n], integer;
- ``medel`` (mean over n): x = sum of the values = varde · n, in [n·lo, n·hi] (the scale of
  :data:`SCALES`, e.g. meritvärde 0–340);
- ``rate`` (cases per 100 persons): x = cases = varde/100 · n, in [0, ∞), integer; its nominal
  range is 0..n cases (at most one case per person);
- ``kvot`` (förskola ratios, :data:`pipeline.indicators.forskola.RATIOS`): x = the quantity that is
  not ``antal`` (children): årsarbetare or barngrupper = antal / varde, in [0, n]; for
  ``andel_forskollararexamen`` x = årsarbetare with förskollärarexamen, tied to the unit's
  årsarbetare (the ``barn_per_arsarbetare`` cell) by x = varde/100 · årsarbetare;
- ``skillnad`` (difference of two group means, :data:`pipeline.indicators.likvardighet.DIFFERENCES`):
  x = the difference itself, tied to its two group cells by n_a·n_b·d = n_b·x_a − n_a·x_b.

Relations (Σ coefficient · x = 0, each checked on the true values before it is used):

1. units → huvudman: x_huvudman = Σ x_unit, per läsår × skolform × indikator × grupp;
2. groups → samtliga: every partition of a unit's (or the huvudman's) persons: kön
   (flickor + pojkar + persons of unknown kön), föräldrars utbildning, nyanländ, kursområde;
   persons outside the published parts form an implicit *rest* cell (never published, hidden,
   protected like a published cell when it holds fewer than the threshold);
3. indicators on the same persons (:data:`SAME_POPULATION`): andel_examen = högskoleförberedande
   examen + yrkesexamen (counts of the same leavers); GBP of all leavers = GBP of those with an
   examen + the rest;
4. differences (above).

The attacker is assumed to know every ``antal`` exactly (worst case: group sizes follow from the
partitions and from elevantal even when a size under the threshold is not written out), so the
audit does not rely on the ``antal`` mask of the downloads.

``protect`` is primary plus secondary suppression; ``audit_table`` is the audit of a finished
(published) indicator table that ``make report`` runs; both share :func:`audit`.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.errors import PrivacyLeakError
from pipeline.indicators.forskola import RATIOS
from pipeline.indicators.likvardighet import DIFFERENCES

#: Natural scale (lowest, highest possible value) of the ``medel`` indicators: an attacker knows
#: these bounds, so the audit uses them (never narrower ones).
SCALES: dict[str, tuple[float, float]] = {
    "meritvarde_17": (0.0, 340.0),
    "meritvarde_16": (0.0, 320.0),
    "gbp_examen": (0.0, 20.0),
    "gbp_examen_studiebevis": (0.0, 20.0),
    "franvaro_medel": (0.0, 100.0),
    "trygghet": (0.0, 10.0),
    "studiero": (0.0, 10.0),
    "stimulans": (0.0, 10.0),
    "inflytande": (0.0, 10.0),
    "normer_varden": (0.0, 10.0),
    "vh_enkat_index": (0.0, 10.0),
}

#: Partitions of a cell's persons into published groups (the rest is an implicit cell).
PARTITIONS: tuple[tuple[str, ...], ...] = (
    ("flickor", "pojkar"),
    ("foraldrar_eftergymnasial", "foraldrar_ej_eftergymnasial"),
    ("nyanland", "ej_nyanland"),
)
#: Groups whose name starts with this prefix partition ``samtliga`` (one group per kursområde).
PARTITION_PREFIXES: tuple[str, ...] = ("kursomrade:",)

#: Relations between indicators on the same persons: (whole, parts, how). ``"antal"``: the parts
#: count persons of the same population as the whole (equal n; x_whole = Σ x_parts);
#: ``"personer"``: the parts are disjoint subsets of the whole's persons (the rest is implicit).
SAME_POPULATION: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("andel_examen", ("hogskoleforberedande_examen", "yrkesexamen"), "antal"),
    ("gbp_examen_studiebevis", ("gbp_examen",), "personer"),
)

#: Shares and means over several rows per person (test results, course participations): their
#: ``antal`` counts persons (the threshold), but the value is weighted by rows, which are never
#: published. No linear relation over published numbers ties these cells together, so they are
#: not variables of the linear program; what an attacker can still get from them, that every hidden
#: part is 0 % or 100 % when its published whole is, is closed by :func:`extreme_wholes`.
OVER_ROWS: frozenset[str] = frozenset(
    {
        "np_ak9_provbetyg_ae",
        "np_ak6_provbetyg_ae",
        "vux_godkand",
        "vux_avbrott",
        "sfi_progression",
        "sfi_avbrott",
    }
)

#: Statistic kinds that take part in the relations.
AUDITED_KINDS = ("andel", "medel", "rate", "kvot", "skillnad")

_TOL = 1e-6


class DisclosureAuditError(PrivacyLeakError):
    """A hidden cell can be narrowed down from the published ones beyond the protection margin.

    Exit code 1 (like the leak scan): the input is fine, but the build failed its privacy check,
    so nothing is published.
    """


@dataclass
class Var:
    """One unknown of the linear system: a cell's additive quantity (or an implicit rest cell)."""

    key: tuple
    kind: str
    n: float
    lo: float
    hi: float
    integer: bool
    scale: float  # the nominal width of the possible range (the protection margin is relative to it)
    value: float = math.nan  # the true quantity (NaN when unknown)
    row: int = -1  # the cell's row, -1 for an implicit rest cell
    hidden: bool = False
    primary: bool = False


@dataclass
class Problem:
    """Variables and homogeneous linear relations (Σ coef · x = 0)."""

    vars: list[Var] = field(default_factory=list)
    relations: list[dict[int, float]] = field(default_factory=list)
    dropped: int = 0
    _arrays: _Arrays | None = field(default=None, repr=False)

    def add(self, v: Var) -> int:
        self.vars.append(v)
        return len(self.vars) - 1

    def arrays(self) -> _Arrays:
        """The relations and the variables' values and bounds as arrays, for :func:`_solve`.

        Built once the problem is complete (and again if a variable or relation was added since):
        after :func:`build_problem` only which variables are hidden changes, never a relation, a
        value or a bound.
        """
        a = self._arrays
        if a is None or a.n_vars != len(self.vars) or a.n_relations != len(self.relations):
            rels = self.relations
            a = self._arrays = _Arrays(
                n_vars=len(self.vars),
                n_relations=len(rels),
                index=[np.fromiter(r.keys(), dtype=np.int64, count=len(r)) for r in rels],
                coef=[np.fromiter(r.values(), dtype=float, count=len(r)) for r in rels],
                scale=np.array([max(abs(c) for c in r.values()) for r in rels], dtype=float),
                value=np.array([v.value for v in self.vars], dtype=float),
                lo=np.array([v.lo for v in self.vars], dtype=float),
                hi=np.array([v.hi for v in self.vars], dtype=float),
                column=np.full(len(self.vars), -1, dtype=np.int64),
            )
        return a


@dataclass
class _Arrays:
    """:meth:`Problem.arrays`: per relation its variables, coefficients and largest |coefficient|;
    per variable its true value and bounds; ``column`` is scratch space of :func:`_solve` (-1)."""

    n_vars: int
    n_relations: int
    index: list[np.ndarray]
    coef: list[np.ndarray]
    scale: np.ndarray
    value: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    column: np.ndarray


@dataclass(frozen=True)
class Interval:
    """The feasibility interval of one hidden cell."""

    key: tuple
    row: int
    primary: bool
    lo: float
    hi: float
    scale: float

    @property
    def width(self) -> float:
        """Width relative to the cell's possible range (0 = recovered exactly, 1 = nothing learnt)."""
        if not math.isfinite(self.hi - self.lo):
            return math.inf
        return (self.hi - self.lo) / self.scale if self.scale > 0 else math.inf


@dataclass(frozen=True)
class AuditResult:
    """What the audit found: one interval per hidden cell, and the cells below the margin."""

    intervals: tuple[Interval, ...]
    failing: tuple[Interval, ...]
    primary: int
    secondary: int
    relations: int
    dropped_relations: int
    seconds: float
    skyddsintervall: float

    @property
    def narrowest(self) -> Interval | None:
        """The protected cell with the narrowest interval (relative to its range)."""
        prot = [i for i in self.intervals if i.primary]
        return min(prot, key=lambda i: (i.width, i.key)) if prot else None

    def to_manifest(self) -> dict:
        """A JSON-ready summary for ``manifest.json``."""
        nar = self.narrowest
        return {
            "undertryckta_primart": self.primary,
            "undertryckta_sekundart": self.secondary,
            "relationer": self.relations,
            "relationer_som_inte_holl": self.dropped_relations,
            "skyddsintervall": self.skyddsintervall,
            "smalaste_intervall": None if nar is None else round(float(nar.width), 6),
            "smalaste_cell": None if nar is None else "|".join(str(k) for k in nar.key),
            "under_marginal": len(self.failing),
        }

    def summary(self) -> str:
        """One line for the build log."""
        nar = self.narrowest
        w = "none" if nar is None else ("unbounded" if math.isinf(nar.width) else f"{100 * nar.width:.1f} %")
        return (
            f"disclosure audit: {self.primary} cells hidden primary, {self.secondary} secondary; "
            f"narrowest protection interval {w} of the cell's range (margin "
            f"{100 * self.skyddsintervall:.0f} %); {len(self.failing)} below the margin; "
            f"{self.seconds:.1f} s"
        )


# ---------------------------------------------------------------------------------- building


def _x_of(kind: str, varde: float, n: float) -> float:
    if kind in ("andel", "rate"):
        return varde / 100.0 * n
    if kind == "medel":
        return varde * n
    return math.nan


def build_problem(
    cells: pd.DataFrame,
    *,
    hidden: np.ndarray,
    primary: np.ndarray,
    min_antal: int,
    truth: np.ndarray | None = None,
) -> Problem:
    """The linear system of ``cells`` (enhet and huvudman cells of the own computation).

    Parameters
    ----------
    cells
        Cell frame with ``lasar, skolform, niva, skolenhetskod, indikator, grupp, varde, antal, typ``.
    hidden, primary
        Boolean arrays (per row): hidden now; hidden by the primary rule (protected).
    min_antal
        The threshold: an implicit rest cell with fewer persons is protected.
    truth
        The true ``varde`` per row (unsuppressed); ``None`` when only the published table is known
        (then a relation is checked on its n and its published cells only).
    """
    p = Problem()
    df = cells.reset_index(drop=True)
    varde = df["varde"].to_numpy(dtype=float) if truth is None else np.asarray(truth, dtype=float)
    n_all = pd.to_numeric(df["antal"], errors="coerce").astype(float).to_numpy()
    typ = df["typ"].astype(str).to_numpy()
    ind = df["indikator"].astype(str).to_numpy()
    niva = df["niva"].astype(str).to_numpy()
    kod = df["skolenhetskod"].fillna("").astype(str).to_numpy()
    grupp = df["grupp"].astype(str).to_numpy()
    lasar = df["lasar"].astype(int).to_numpy()
    form = df["skolform"].astype(str).to_numpy()
    var_of: dict[int, int] = {}
    by_key: dict[tuple, int] = {}
    # --- one variable per audited cell
    for r in range(len(df)):
        kind = typ[r]
        n = n_all[r]
        if (
            kind not in AUDITED_KINDS
            or niva[r] not in ("enhet", "huvudman")
            or not n > 0
            or ind[r] in OVER_ROWS
        ):
            continue
        key = (int(lasar[r]), form[r], niva[r], kod[r], ind[r], grupp[r])
        v = varde[r]
        if kind in ("andel", "rate"):
            var = Var(key, kind, n, 0.0, n if kind == "andel" else math.inf, True, n, _x_of(kind, v, n))
        elif kind == "medel":
            if ind[r] not in SCALES:
                raise KeyError(
                    f"pipeline/indicators/disclosure.py: indicator {ind[r]!r} (a mean) has no scale in "
                    "SCALES; add its lowest and highest possible value there so the disclosure audit "
                    "can bound it."
                )
            s_lo, s_hi = SCALES[ind[r]]
            var = Var(key, kind, n, n * s_lo, n * s_hi, False, n * (s_hi - s_lo), _x_of(kind, v, n))
        elif kind == "kvot":
            num, _den, factor = RATIOS.get(ind[r], ("antal_barn", "", 1.0))
            if num == "antal_barn":
                x = n * factor / v if v and v > 0 else math.nan
            else:
                x = math.nan  # set below from the unit's årsarbetare
            var = Var(key, kind, n, 0.0, n, False, n, x)
        else:  # skillnad
            src = DIFFERENCES.get(ind[r], ("meritvarde_17",))[0]
            s_lo, s_hi = SCALES.get(src, (0.0, 340.0))
            span = s_hi - s_lo
            var = Var(key, kind, n, -span, span, False, 2 * span, v)
        var.row = r
        var.hidden = bool(hidden[r])
        var.primary = bool(primary[r])
        i = p.add(var)
        var_of[r] = i
        by_key[key] = i
    # förskola: årsarbetare with examen = share × årsarbetare of the same unit
    for _r, i in list(var_of.items()):
        v = p.vars[i]
        ratio = RATIOS.get(v.key[4])
        if v.kind != "kvot" or ratio is None or ratio[0] == "antal_barn":
            continue
        partner = next(
            (k for k, (num, den, _f) in RATIOS.items() if num == "antal_barn" and den == ratio[1]), None
        )
        j = by_key.get((*v.key[:4], partner, v.key[5])) if partner else None
        share = varde[v.row] / ratio[2]
        if j is None:
            continue
        a = p.vars[j].value
        v.value = share * a if math.isfinite(a) else math.nan
        if not v.hidden and not p.vars[j].hidden:
            continue  # both published: nothing unknown
        if not v.hidden:
            _add_relation(p, {i: 1.0, j: -share})
    # --- relations
    groups: dict[tuple, dict[str, int]] = defaultdict(dict)  # (lasar, form, niva, kod, ind) -> grupp -> var
    for i, v in enumerate(p.vars):
        groups[v.key[:5]][v.key[5]] = i
    # 1. units -> huvudman
    units: dict[tuple, list[int]] = defaultdict(list)
    for i, v in enumerate(p.vars):
        if v.key[2] == "enhet":
            units[(v.key[0], v.key[1], v.key[4], v.key[5])].append(i)
    for (la, fo, ix, gr), members in units.items():
        h = by_key.get((la, fo, "huvudman", "", ix, gr))
        if h is None or p.vars[h].kind == "skillnad":
            continue
        if (
            p.vars[h].kind in ("andel", "medel", "rate")
            and abs(sum(p.vars[m].n for m in members) - p.vars[h].n) > 0.5
        ):
            p.dropped += 1
            continue
        _add_checked(p, {h: 1.0, **{m: -1.0 for m in members}})
    # 2. groups -> samtliga (with an implicit rest)
    for gk, gmap in groups.items():
        s = gmap.get("samtliga")
        if s is None or p.vars[s].kind not in ("andel", "medel", "rate"):
            continue
        families = [tuple(g for g in fam if g in gmap) for fam in PARTITIONS]
        for prefix in PARTITION_PREFIXES:
            families.append(tuple(sorted(g for g in gmap if g.startswith(prefix))))
        for fam in families:
            if fam:
                _add_partition(p, s, [gmap[g] for g in fam], gk + ("rest:" + "+".join(fam),), min_antal)
    # 3. indicators on the same persons
    for whole, parts, how in SAME_POPULATION:
        for gk, gmap in list(groups.items()):
            if gk[4] != whole:
                continue
            for gr, w in gmap.items():
                found = [by_key.get((*gk[:4], part, gr)) for part in parts]
                members = [m for m in found if m is not None]
                if len(members) < len(found):
                    continue
                if how == "antal":
                    if any(abs(p.vars[m].n - p.vars[w].n) > 0.5 for m in members):
                        p.dropped += 1
                        continue
                    _add_checked(p, {w: 1.0, **{m: -1.0 for m in members}})
                else:
                    _add_partition(p, w, members, (*gk, gr, "rest:" + "+".join(parts)), min_antal)
    # 4. differences
    for i, v in enumerate(p.vars):
        if v.kind != "skillnad":
            continue
        src, grupp_a, grupp_b = DIFFERENCES[v.key[4]]
        ia, ib = by_key.get((*v.key[:4], src, grupp_a)), by_key.get((*v.key[:4], src, grupp_b))
        if ia is None or ib is None:
            continue
        na, nb = p.vars[ia].n, p.vars[ib].n
        _add_checked(p, {i: na * nb, ia: -nb, ib: na})
    # a published cell whose quantity is not known (no value, or a share of an unknown whole) is an
    # unknown to the attacker too, but not a cell to protect or to hide
    for v in p.vars:
        if not v.hidden and not math.isfinite(v.value):
            v.hidden, v.primary, v.row = True, False, -1
    return p


def _add_partition(p: Problem, whole: int, parts: list[int], rest_key: tuple, min_antal: int) -> None:
    w = p.vars[whole]
    n_rest = w.n - sum(p.vars[m].n for m in parts)
    if n_rest < -0.5:
        p.dropped += 1  # not a partition of the whole's persons
        return
    terms = {whole: 1.0, **{m: -1.0 for m in parts}}
    if n_rest > 0.5:
        vals = [p.vars[m].value for m in parts]
        x_rest = w.value - sum(vals)
        if w.kind == "medel":
            s_lo, s_hi = w.lo / w.n, w.hi / w.n
            rest = Var(
                rest_key, w.kind, n_rest, n_rest * s_lo, n_rest * s_hi, False, n_rest * (s_hi - s_lo), x_rest
            )
        else:
            rest = Var(
                rest_key, w.kind, n_rest, 0.0, n_rest if w.kind == "andel" else math.inf, True, n_rest, x_rest
            )
        rest.hidden = True
        rest.primary = n_rest < min_antal
        terms[p.add(rest)] = -1.0
    _add_checked(p, terms)


def _add_checked(p: Problem, terms: dict[int, float]) -> None:
    """Add a relation if it holds on the known values (else count it as dropped)."""
    vals = [(c, p.vars[i].value) for i, c in terms.items()]
    if all(math.isfinite(x) for _, x in vals):
        resid = sum(c * x for c, x in vals)
        size = max(1.0, max(abs(c * x) for c, x in vals))
        if abs(resid) > 1e-6 * size:
            p.dropped += 1
            return
    _add_relation(p, terms)


def _add_relation(p: Problem, terms: dict[int, float]) -> None:
    p.relations.append(dict(terms))


# ---------------------------------------------------------------------------------- solving


def relations_of(p: Problem) -> dict[int, list[int]]:
    """Variable -> the relations it appears in."""
    out: dict[int, list[int]] = defaultdict(list)
    for k, rel in enumerate(p.relations):
        for i in rel:
            out[i].append(k)
    return out


def component_of(
    p: Problem, start: int, rels_of: dict[int, list[int]]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The hidden variables tied to ``start`` through relations, and those relations."""
    seen, rels = {start}, set()
    stack = [start]
    while stack:
        v = stack.pop()
        for k in rels_of.get(v, ()):
            if k in rels:
                continue
            rels.add(k)
            for j in p.relations[k]:
                if j not in seen and p.vars[j].hidden:
                    seen.add(j)
                    stack.append(j)
    return tuple(sorted(seen)), tuple(sorted(rels))


def _lp_ends(a: _Csc, b: np.ndarray, lo: np.ndarray, hi: np.ndarray, cols: list[int]) -> list:
    """(min, max) of each column in ``cols`` subject to a·x = b, lo <= x <= hi; None when infeasible.

    Uses the HiGHS solver that ships with scipy through one model per component (only the
    objective changes between solves, so each solve starts warm); falls back to
    :func:`scipy.optimize.linprog` (the same solver, with per-call overhead) if scipy's internal
    binding moves.
    """
    try:
        from scipy.optimize._highspy import _core as hc
    except ImportError:  # pragma: no cover - depends on the scipy version
        return _lp_ends_linprog(a, b, lo, hi, cols)
    m, n = a.shape
    h = hc._Highs()
    h.setOptionValue("output_flag", False)
    lp = hc.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.zeros(n)
    inf = hc.kHighsInf
    lp.col_lower_ = np.where(np.isinf(lo), -inf, lo)
    lp.col_upper_ = np.where(np.isinf(hi), inf, hi)
    lp.row_lower_, lp.row_upper_ = b, b
    lp.a_matrix_.format_ = hc.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    h.passModel(lp)
    out = []
    for t in cols:
        ends = []
        h.changeColCost(t, 1.0)
        for sense, unbounded in ((hc.ObjSense.kMinimize, -math.inf), (hc.ObjSense.kMaximize, math.inf)):
            h.changeObjectiveSense(sense)
            h.run()
            st = h.getModelStatus()
            if st == hc.HighsModelStatus.kOptimal:
                ends.append(h.getInfo().objective_function_value)
            elif st in (hc.HighsModelStatus.kUnbounded, hc.HighsModelStatus.kUnboundedOrInfeasible):
                ends.append(unbounded)
            else:
                return [None] * len(cols)
        h.changeColCost(t, 0.0)
        out.append(tuple(ends))
    return out


def _lp_ends_linprog(a: _Csc, b, lo, hi, cols):  # pragma: no cover - fallback
    from scipy.optimize import linprog
    from scipy.sparse import csc_matrix

    a_eq = csc_matrix((a.data, a.indices, a.indptr), shape=a.shape)

    bounds = [
        (None if math.isinf(x) else x, None if math.isinf(y) else y) for x, y in zip(lo, hi, strict=True)
    ]
    out = []
    for t in cols:
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(a.shape[1])
            c[t] = sign
            res = linprog(c, A_eq=a_eq, b_eq=b, bounds=bounds, method="highs")
            if res.status == 3:
                ends.append(-math.inf * sign)
            elif res.status != 0:
                return [None] * len(cols)
            else:
                ends.append(sign * res.fun)
        out.append(tuple(ends))
    return out


@dataclass(frozen=True)
class _Csc:
    """A sparse matrix in compressed-column form (what HiGHS takes), indices sorted per column."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]


def _system(p: Problem, hvars: tuple[int, ...], rels: tuple[int, ...]) -> tuple[_Csc, np.ndarray]:
    """The equations a·x = b of the relations ``rels`` in the hidden variables ``hvars``.

    Row r is relation ``rels[r]`` divided by its largest |coefficient|; a hidden variable's term goes
    to ``a`` (column: its place in ``hvars``), a published one's to ``b`` (``-c · value / scale``).
    ``hvars`` must hold every hidden variable of the relations (as :func:`component_of` returns).
    """
    arr = p.arrays()
    n_r, n_c = len(rels), len(hvars)
    lens = np.fromiter((len(arr.index[k]) for k in rels), dtype=np.int64, count=n_r)
    index = np.concatenate([arr.index[k] for k in rels])
    coef = np.concatenate([arr.coef[k] for k in rels])
    row = np.repeat(np.arange(n_r, dtype=np.int64), lens)
    scale = np.repeat(arr.scale[list(rels)], lens)
    hv = np.asarray(hvars, dtype=np.int64)
    arr.column[hv] = np.arange(n_c, dtype=np.int64)
    col = arr.column[index]
    arr.column[hv] = -1
    hidden = col >= 0
    # b[r] = -Σ c·value/scale over the relation's published terms, summed in the relation's order
    pub = ~hidden
    b = -np.bincount(row[pub], weights=coef[pub] * arr.value[index[pub]] / scale[pub], minlength=n_r) + 0.0
    val = coef[hidden] / scale[hidden]
    r_h, c_h = row[hidden], col[hidden]
    keep = val != 0  # as a dense matrix's zeros: no entry
    r_h, c_h, val = r_h[keep], c_h[keep], val[keep]
    order = np.lexsort((r_h, c_h))
    indptr = np.zeros(n_c + 1, dtype=np.int32)
    np.cumsum(np.bincount(c_h, minlength=n_c), out=indptr[1:])
    a = _Csc(val[order], r_h[order].astype(np.int32), indptr, (n_r, n_c))
    return a, b


def _solve(
    p: Problem, hvars: tuple[int, ...], rels: tuple[int, ...], targets
) -> dict[int, tuple[float, float]]:
    """Feasibility interval of each target (hidden) variable given the published ones."""
    out: dict[int, tuple[float, float]] = {}
    if not rels:
        for t in targets:
            out[t] = (p.vars[t].lo, p.vars[t].hi)
        return out
    a, b = _system(p, hvars, rels)
    arr = p.arrays()
    cols = np.asarray(hvars, dtype=np.int64)
    col = {v: k for k, v in enumerate(hvars)}
    targets = list(targets)
    ends = _lp_ends(a, b, arr.lo[cols], arr.hi[cols], [col[t] for t in targets])
    for t, e in zip(targets, ends, strict=True):
        if e is None:
            raise DisclosureAuditError(
                f"disclosure audit: the published cells around {p.vars[t].key} contradict the "
                "relations of their table (the linear program is infeasible). The table's units or "
                "groups do not add up as the audit assumes; check the relation builder in "
                "pipeline/indicators/disclosure.py for this indicator (nothing was published)."
            )
        lo_t, hi_t = e
        v = p.vars[t]
        if v.integer:
            lo_t = math.ceil(lo_t - _TOL) if math.isfinite(lo_t) else lo_t
            hi_t = math.floor(hi_t + _TOL) if math.isfinite(hi_t) else hi_t
        out[t] = (max(lo_t, v.lo), min(hi_t, v.hi))
    return out


def _interval(p: Problem, i: int, lohi: tuple[float, float]) -> Interval:
    v = p.vars[i]
    return Interval(v.key, v.row, v.primary, float(lohi[0]), float(lohi[1]), float(v.scale))


def audit_problem(p: Problem, *, skyddsintervall: float, cache: dict | None = None) -> AuditResult:
    """Feasibility intervals of every hidden variable; ``failing``: protected ones below the margin.

    ``cache`` (component -> intervals) lets a repeated audit re-solve only what changed.
    """
    t0 = time.perf_counter()
    cache = {} if cache is None else cache
    rels_of = relations_of(p)
    intervals: list[Interval] = []
    done: set[int] = set()
    for i, v in enumerate(p.vars):
        if not v.hidden or i in done:
            continue
        hvars, rels = component_of(p, i, rels_of)
        done.update(hvars)
        if (hvars, rels) not in cache:
            cache[(hvars, rels)] = _solve(p, hvars, rels, hvars)
        sol = cache[(hvars, rels)]
        intervals += [_interval(p, j, sol[j]) for j in hvars]
    intervals.sort(key=lambda x: (tuple(str(k) for k in x.key), x.row))
    failing = tuple(i for i in intervals if i.primary and i.width < skyddsintervall - 1e-9)
    hidden_rows = [v for v in p.vars if v.hidden and v.row >= 0]
    return AuditResult(
        intervals=tuple(intervals),
        failing=failing,
        primary=sum(v.primary for v in hidden_rows),
        secondary=sum(not v.primary for v in hidden_rows),
        relations=len(p.relations),
        dropped_relations=p.dropped,
        seconds=time.perf_counter() - t0,
        skyddsintervall=skyddsintervall,
    )


# ---------------------------------------------------------------------------------- suppression


def primary_hidden(cells: pd.DataFrame, *, min_antal: int) -> np.ndarray:
    """Primary rule: a value on fewer than ``min_antal`` persons (or a count under it) is hidden."""
    antal = pd.to_numeric(cells["antal"], errors="coerce").astype(float).fillna(0).to_numpy()
    varde = cells["varde"].to_numpy(dtype=float)
    is_count = cells["typ"].astype(str).eq("antal").to_numpy()
    small = np.where(is_count, (varde > 0) & (varde < min_antal), antal < min_antal)
    return small & ~np.isnan(varde)


def _candidates(
    p: Problem, start: int, rels_of: dict[int, list[int]], enough: tuple[int, int] | None = None
) -> list[int]:
    """Published cells tied to ``start`` through relations: unit cells before huvudman cells,
    nearer (fewer relations away) before farther, fewer persons first.

    ``enough`` = (units, tops): only the first that many unit cells and huvudman cells are wanted,
    so the search stops after the first distance at which both are found (every cell farther away
    sorts after them); the list is then the head of the full one.
    """
    seen_v, seen_r = {start}, set()
    frontier = [start]
    found: dict[int, int] = {}
    d = 0
    while frontier:
        if enough is not None and d > 0:
            tops = sum(p.vars[j].key[2] == "huvudman" for j in found)
            if len(found) - tops >= enough[0] and tops >= enough[1]:
                break
        nxt = []
        for v in frontier:
            for k in rels_of.get(v, ()):
                if k in seen_r:
                    continue
                seen_r.add(k)
                for j in p.relations[k]:
                    if j in seen_v:
                        continue
                    seen_v.add(j)
                    if p.vars[j].hidden:
                        nxt.append(j)
                    elif p.vars[j].row >= 0:
                        found[j] = d
                        nxt.append(j)  # hiding it would open its other relations
        frontier = nxt
        d += 1
    return sorted(found, key=lambda j: (p.vars[j].key[2] == "huvudman", found[j], p.vars[j].n, p.vars[j].key))


def _width_of(p: Problem, target: int, rels_of: dict[int, list[int]]) -> float:
    return _width_in(p, target, *component_of(p, target, rels_of))


def _width_in(p: Problem, target: int, hvars: tuple[int, ...], rels: tuple[int, ...]) -> float:
    """The width of ``target``'s interval in its component (``hvars``, ``rels``)."""
    return _interval(p, target, _solve(p, hvars, rels, [target])[target]).width


class _Trial:
    """The width of ``target`` with one more cell hidden, without a linear program when that cell is
    in none of the component's relations: then the component, and so the width, stay the same
    (:func:`component_of` only follows relations of the component's hidden cells)."""

    def __init__(self, p: Problem, target: int, rels_of: dict[int, list[int]]) -> None:
        self.p, self.target, self.rels_of = p, target, rels_of
        self.hvars, self.rels = component_of(p, target, rels_of)
        self.rel_set = set(self.rels)
        self._width: float | None = None

    @property
    def width(self) -> float:
        if self._width is None:
            self._width = _width_in(self.p, self.target, self.hvars, self.rels)
        return self._width

    def with_hidden(self, c: int) -> float:
        if not self.rel_set.intersection(self.rels_of.get(c, ())):
            return self.width
        self.p.vars[c].hidden = True
        try:
            return _width_of(self.p, self.target, self.rels_of)
        finally:
            self.p.vars[c].hidden = False


def _widen(
    p: Problem, target: int, skyddsintervall: float, rels_of: dict[int, list[int]], now: _Trial | None = None
) -> int | None:
    """Pick the published cell to hide next for ``target`` (see :func:`protect`); ``now``: the
    target's :class:`_Trial` with the cells hidden so far, if the caller has it."""
    cands = _candidates(p, target, rels_of, enough=(6, 3))
    if not cands:
        return None
    now = now or _Trial(p, target, rels_of)
    base = now.width
    units = [c for c in cands if p.vars[c].key[2] != "huvudman"][:6]
    tops = [c for c in cands if p.vars[c].key[2] == "huvudman"][:3]
    for level in (units, tops):
        best, best_w = None, base
        for c in level:
            w = now.with_hidden(c)
            if w >= skyddsintervall - 1e-9:
                return c  # the first (nearest, fewest persons) that is enough
            if w > best_w + 1e-9:
                best, best_w = c, w
        if best is not None:
            return best
    # no single cell helps: the first of the best pair (e.g. a row partner and a column partner)
    best, best_key = None, None
    for c1 in (units + tops)[:5]:
        p.vars[c1].hidden = True
        try:
            with_c1 = _Trial(p, target, rels_of)
            for c2 in _candidates(p, target, rels_of, enough=(5, 0))[:5]:
                w = with_c1.with_hidden(c2)
                key = (
                    w < skyddsintervall - 1e-9,
                    -w,
                    _is_top(p, c1) + _is_top(p, c2),
                    p.vars[c1].n + p.vars[c2].n,
                )
                if w > base + 1e-9 and (best_key is None or key < best_key):
                    best, best_key = c1, key
        finally:
            p.vars[c1].hidden = False
    return best if best is not None else cands[0]


def _is_top(p: Problem, i: int) -> int:
    return int(p.vars[i].key[2] == "huvudman")


def protect(
    cells: pd.DataFrame, *, min_antal: int, skyddsintervall: float
) -> tuple[pd.DataFrame, AuditResult]:
    """Primary and secondary suppression, audited.

    Primary: :func:`primary_hidden`. Secondary, repeated until the audit passes: for each protected
    cell whose feasibility interval is narrower than ``skyddsintervall`` of its range, take the
    published cells tied to it (nearest relations first): among unit cells, hide the first
    (fewest persons) that brings the interval up to the margin, else the one that widens it most;
    only if no unit cell helps, the same among huvudman cells; else the nearest smallest (some
    cells need two more hidden before either helps). Then audit again.

    Returns
    -------
    (DataFrame, AuditResult)
        The cells with ``undertryckt`` set and ``varde, se, ki_lag, ki_hog`` emptied where hidden;
        the audit of the result.

    Raises
    ------
    DisclosureAuditError
        A protected cell stays below the margin with nothing left to hide.
    """
    df = cells.reset_index(drop=True).copy()
    truth = df["varde"].to_numpy(dtype=float)
    prim = primary_hidden(df, min_antal=min_antal)
    p = build_problem(df, hidden=prim, primary=prim, min_antal=min_antal, truth=truth)
    rels_of = relations_of(p)
    cache: dict = {}
    index = {(v.key, v.row): i for i, v in enumerate(p.vars)}
    while True:
        res = audit_problem(p, skyddsintervall=skyddsintervall, cache=cache)
        if not res.failing:
            break
        for f in res.failing:
            target = index[(f.key, f.row)]
            for _ in range(len(p.vars)):
                now = _Trial(p, target, rels_of)
                if now.width >= skyddsintervall - 1e-9:
                    break
                pick = _widen(p, target, skyddsintervall, rels_of, now)
                if pick is None:
                    raise DisclosureAuditError(_failure_message(res))
                p.vars[pick].hidden = True
    hidden = prim.copy()
    for v in p.vars:
        if v.hidden and v.row >= 0:
            hidden[v.row] = True
    hidden |= extreme_wholes(df, hidden)
    df["undertryckt"] = hidden
    for c in ("varde", "se", "ki_lag", "ki_hog"):
        if c in df:
            df.loc[hidden, c] = np.nan
    return df, res


def extreme_wholes(cells: pd.DataFrame, hidden: np.ndarray) -> np.ndarray:
    """Published wholes of :data:`OVER_ROWS` cells that give away their hidden parts.

    A huvudman share of 0 % or 100 % says every unit's share is 0 % or 100 %, whatever the unknown
    weights; so does ``samtliga`` for its groups (kön, bakgrund, kursområde). Returns the rows
    (boolean, same order as ``cells``) of published wholes at 0 or 100 that have a hidden part,
    repeated until none is left (hiding a whole may expose the whole above it).
    """
    df = cells.reset_index(drop=True)
    hid = np.asarray(hidden, dtype=bool).copy()
    out = np.zeros(len(df), dtype=bool)
    sel = (
        df["indikator"].astype(str).isin(OVER_ROWS).to_numpy()
        & df["niva"].isin(["enhet", "huvudman"]).to_numpy()
    )
    if not sel.any():
        return out
    d = df[sel]
    rows = np.flatnonzero(sel)
    lasar, form, niva = (
        d["lasar"].to_numpy(),
        d["skolform"].astype(str).to_numpy(),
        d["niva"].astype(str).to_numpy(),
    )
    kod, ind, grupp = (
        d["skolenhetskod"].fillna("").astype(str).to_numpy(),
        d["indikator"].astype(str).to_numpy(),
        d["grupp"].astype(str).to_numpy(),
    )
    varde = d["varde"].to_numpy(dtype=float)
    wholes: dict[tuple, int] = {}
    parts: dict[tuple, list[int]] = defaultdict(list)
    for k, r in enumerate(rows.tolist()):
        if niva[k] == "huvudman":
            wholes[("u", lasar[k], form[k], ind[k], grupp[k])] = r
        else:
            parts[("u", lasar[k], form[k], ind[k], grupp[k])].append(r)
        if grupp[k] == "samtliga":
            wholes[("g", lasar[k], form[k], niva[k], kod[k], ind[k])] = r
        else:
            parts[("g", lasar[k], form[k], niva[k], kod[k], ind[k])].append(r)
    pos = {r: k for k, r in enumerate(rows.tolist())}
    changed = True
    while changed:
        changed = False
        for key, w in wholes.items():
            if hid[w] or not any(hid[m] for m in parts.get(key, ())):
                continue
            v = varde[pos[w]]
            if np.isfinite(v) and (abs(v) < _TOL or abs(v - 100.0) < _TOL):
                hid[w] = out[w] = changed = True
    return out


def _failure_message(res: AuditResult) -> str:
    f = res.failing[0]
    return (
        f"disclosure audit: {len(res.failing)} hidden cell(s) can be narrowed down from the published "
        f"cells to less than {100 * res.skyddsintervall:.0f} % of their possible range, e.g. "
        f"{'|'.join(str(k) for k in f.key)}: interval [{f.lo:g}, {f.hi:g}] of a range {f.scale:g} wide "
        f"({100 * f.width:.1f} %). Expected every hidden cell to keep at least the margin "
        "(params/installningar.yml: skyddsintervall). Secondary suppression found nothing more to hide; "
        "nothing was published. Lower skyddsintervall only with a reason, or report the case."
    )


# ---------------------------------------------------------------------------------- audit of a table


def audit_table(
    indikatorer: pd.DataFrame, *, kinds: dict[str, str], min_antal: int, skyddsintervall: float
) -> AuditResult:
    """Audit a published indicator table (hidden cells have an empty ``varde``).

    Parameters
    ----------
    indikatorer
        The indicator table (schema ``Indikatorer``); only rows of the own computation (indicators
        in ``kinds``, nivå enhet/huvudman) are audited; published rows from other sources are
        theirs.
    kinds
        Indicator id -> statistic kind (:data:`pipeline.indicators.build.COMPUTED`).

    Raises
    ------
    DisclosureAuditError
        A hidden cell is narrower than the margin; the message names the first one.
    """
    t0 = time.perf_counter()
    own = indikatorer[
        indikatorer["indikator"].isin(list(kinds))
        & indikatorer["niva"].isin(["enhet", "huvudman"])
        & indikatorer["kalla"].astype(str).str.startswith("Egen beräkning")
    ].reset_index(drop=True)
    own = own.assign(typ=own["indikator"].map(kinds))
    hidden = own["undertryckt"].astype(bool).to_numpy()
    antal = pd.to_numeric(own["antal"], errors="coerce").astype(float).fillna(0).to_numpy()
    primary = hidden & (antal < min_antal)
    p = build_problem(own, hidden=hidden, primary=primary, min_antal=min_antal)
    res = audit_problem(p, skyddsintervall=skyddsintervall)
    exposed = extreme_wholes(own, hidden)
    if exposed.any():
        r = int(np.flatnonzero(exposed)[0])
        key = tuple(own.loc[r, ["lasar", "skolform", "niva", "skolenhetskod", "indikator", "grupp"]])
        raise DisclosureAuditError(
            f"disclosure audit: {int(exposed.sum())} published cell(s) at 0 % or 100 % give away hidden "
            f"parts, e.g. {key}: every hidden unit or group under it has the same value. Secondary "
            "suppression (pipeline/indicators/disclosure.py: extreme_wholes) should have hidden it; "
            "nothing was published."
        )
    res = AuditResult(
        intervals=res.intervals,
        failing=res.failing,
        primary=int(primary.sum()),
        secondary=int((hidden & ~primary).sum()),
        relations=res.relations,
        dropped_relations=res.dropped_relations,
        seconds=time.perf_counter() - t0,
        skyddsintervall=skyddsintervall,
    )
    if res.failing:
        raise DisclosureAuditError(_failure_message(res))
    return res
