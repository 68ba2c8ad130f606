"""Calibration of the value-added intervals by simulation with known unit effects.

Each replication draws a huvudman: units with a known lasting effect ``u_j`` (a share exactly 0,
the rest ± draws from N(0, sd_effekt²), in symmetric pairs), cohorts of pupils per unit and
läsår with a one-year cohort shock ``v_jt`` ~ N(0, sd_kohort²) and pupil noise ~ N(0, sd_elev²),
and an outcome that also depends on prior attainment, kön, nyanländ and föräldrarnas utbildning
(as the real model does). :func:`pipeline.indicators.foradlingsvarde.compute_value_added` is run
on it exactly as in the build, and the last läsår's rows are scored:

- coverage: the share of intervals that contain the unit's true lasting effect, measured as the
  model measures it: from the huvudman average, ``u_j − ū`` (ū = pupil-weighted mean of u over
  the window);
- labelled: the share of units with ``u_j = 0`` called "över/under förväntan";
- width: the mean width of the intervals.

Three intervals are scored: ``fore`` (the model before the unit level: a t interval on the
pupils' residuals of the current läsår only), ``ny`` (the published one: cohorts pooled with the
between-cohort variance) and ``krympt`` (the EBLUP posterior interval, for comparison).

``python -m pipeline.indicators.va_calibration [--replikat N] [--ut FILE]`` runs the full
calibration (``make calibrate``) and prints the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.indicators import stats
from pipeline.indicators.foradlingsvarde import _fit_years, compute_value_added


@dataclass(frozen=True)
class Scenario:
    """One simulated world (``beskrivning`` is for developers; readers get
    ``va_metod.scenarier.<namn>`` from ``params/labels.yml``)."""

    namn: str
    beskrivning: str
    enheter: int = 20
    kohorter: int = 3
    elever_min: int = 15
    elever_max: int = 60
    sd_elev: float = 30.0
    sd_kohort: float = 10.0
    sd_effekt: float = 10.0
    andel_noll: float = 1 / 3


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("a", "pupil noise only", sd_kohort=0.0),
    Scenario("b", "cohort shocks SD 10"),
    Scenario("c", "no true unit effects, cohort shocks SD 10", sd_effekt=0.0, andel_noll=1.0),
    Scenario(
        "d",
        "few units (5), small cohorts (15-25 pupils, the minimum group is 15), shocks SD 10",
        enheter=5,
        elever_min=15,
        elever_max=25,
    ),
    Scenario("e", "one cohort only, shocks SD 10 (cohort variance assumed)", kohorter=1),
)

RESULT_COLUMNS = [
    "scenario",
    "beskrivning",
    "modell",
    "replikat",
    "intervall",
    "tackning",
    "tackning_se",
    "noll_enheter",
    "markerade_noll",
    "markerade_noll_se",
    "medelbredd",
]

LAST = 2024


def _effects(s: Scenario, rng: np.random.Generator) -> np.ndarray:
    n_zero = int(round(s.andel_noll * s.enheter))
    n_pairs = (s.enheter - n_zero) // 2
    half = np.abs(rng.normal(0, s.sd_effekt, n_pairs))
    u = np.concatenate([np.zeros(s.enheter - 2 * n_pairs), half, -half])
    return rng.permutation(u)


def simulate_pupils(s: Scenario, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    """One huvudman of scenario ``s``: pupil rows (``VA_PUPIL_COLUMNS``) and the true effects."""
    u = _effects(s, rng)
    codes = [f"9{j:07d}" for j in range(s.enheter)]
    frames = []
    for t in range(s.kohorter):
        lasar = LAST - s.kohorter + 1 + t
        n = rng.integers(s.elever_min, s.elever_max + 1, s.enheter)
        unit = np.repeat(np.arange(s.enheter), n)
        m = len(unit)
        prior = rng.normal(200, 50, m)
        flicka = rng.random(m) < 0.5
        nyanland = rng.random(m) < 0.1
        fu = rng.choice(["eftergymnasial", "gymnasial", "forgymnasial"], m, p=[0.5, 0.35, 0.15])
        shock = rng.normal(0, s.sd_kohort, s.enheter) if s.sd_kohort > 0 else np.zeros(s.enheter)
        y = (
            30
            + 0.85 * prior
            + 8 * flicka
            - 15 * nyanland
            + 10 * (fu == "eftergymnasial")
            + u[unit]
            + shock[unit]
            + rng.normal(0, s.sd_elev, m)
        )
        frames.append(
            pd.DataFrame(
                {
                    "skolform": "GR",
                    "lasar": lasar,
                    "skolenhetskod": np.array(codes)[unit],
                    "elev_id": [f"{lasar}-{i}" for i in range(m)],
                    "utfall": y,
                    "prior": prior,
                    "kon": np.where(flicka, "flicka", "pojke"),
                    "nyanland": nyanland,
                    "foraldrar_utbildning": fu,
                }
            )
        )
    return pd.concat(frames, ignore_index=True), pd.Series(u, index=codes)


def _old_intervals(p: pd.DataFrame, *, va_min_antal: int, konfidensniva: float) -> pd.DataFrame:
    """The model before the unit level: t interval on the unit's residuals of one läsår."""
    _, parts, _ = _fit_years(p)
    d = parts[0]
    g = d.groupby("skolenhetskod")["resid"].agg(["mean", "std", "size"])
    lo, hi = stats.t_interval(g["mean"], g["std"], g["size"], konfidensniva=konfidensniva)
    ok = g["size"].to_numpy() >= va_min_antal
    return pd.DataFrame(
        {"ki_lag": np.where(ok, lo, np.nan), "ki_hog": np.where(ok, hi, np.nan)}, index=g.index.astype(str)
    )


def run_replication(
    s: Scenario, rng: np.random.Generator, *, va_min_antal: int = 15, konfidensniva: float = 0.95, **model
) -> pd.DataFrame:
    """Score one replication: one row per unit and interval kind (``fore``, ``ny``, ``krympt``)."""
    pupils, u = simulate_pupils(s, rng)
    _, enheter, _, _ = compute_value_added(
        pupils, va_min_antal=va_min_antal, konfidensniva=konfidensniva, va_kohorter=s.kohorter, **model
    )
    e = enheter[enheter["lasar"] == LAST].copy()
    e["skolenhetskod"] = e["skolenhetskod"].astype(str)
    counts = pupils.groupby("skolenhetskod").size()
    u_bar = float((u * counts.reindex(u.index)).sum() / counts.sum())
    last = pupils[pupils["lasar"] == LAST]
    n_last = last.groupby("skolenhetskod").size()
    u_bar_last = float((u * n_last.reindex(u.index)).sum() / n_last.sum())
    old = _old_intervals(last, va_min_antal=va_min_antal, konfidensniva=konfidensniva)
    rows = []
    codes = e["skolenhetskod"].to_numpy()
    kinds = {
        "fore": (
            old.reindex(codes)["ki_lag"].to_numpy(),
            old.reindex(codes)["ki_hog"].to_numpy(),
            u_bar_last,
        ),
        "ny": (e["ki_lag"].to_numpy(), e["ki_hog"].to_numpy(), u_bar),
        "krympt": (e["ki_krympt_lag"].to_numpy(), e["ki_krympt_hog"].to_numpy(), u_bar),
    }
    true = u.reindex(codes).to_numpy()
    for kind, (lo, hi, ref) in kinds.items():
        target = true - ref
        rows.append(
            pd.DataFrame(
                {
                    "modell": kind,
                    "skolenhetskod": codes,
                    "noll": true == 0,
                    "har_intervall": np.isfinite(lo) & np.isfinite(hi),
                    "tacker": (lo <= target) & (target <= hi),
                    "markerad": (lo > 0) | (hi < 0),
                    "bredd": hi - lo,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _share_and_se(flags: pd.Series, rep: pd.Series) -> tuple[float, float, int]:
    """Share (%) with its Monte Carlo SE: the larger of the binomial SE and the SE from the
    spread of the per-replication shares (units of one replication share their variance
    estimates, so they are not independent)."""
    n = len(flags)
    if n == 0:
        return np.nan, np.nan, 0
    p = float(flags.mean())
    se_bin = np.sqrt(max(p * (1 - p), 1e-12) / n)
    per_rep = flags.groupby(rep).mean()
    se_rep = float(per_rep.std(ddof=1) / np.sqrt(len(per_rep))) if len(per_rep) > 1 else se_bin
    return 100 * p, 100 * max(se_bin, se_rep), n


def calibrate(
    scenarios=SCENARIOS, *, replikat: int, seed: int = 20240601, va_min_antal: int = 15, **model
) -> pd.DataFrame:
    """Run ``replikat`` replications of every scenario; one row per scenario and interval kind
    (:data:`RESULT_COLUMNS`). Seeded: the same arguments give the same table."""
    out = []
    for k, s in enumerate(scenarios):
        rng = np.random.default_rng([seed, k])
        reps = []
        for r in range(replikat):
            one = run_replication(s, rng, va_min_antal=va_min_antal, **model)
            reps.append(one.assign(replikat=r))
        d = pd.concat(reps, ignore_index=True)
        for kind in ("fore", "ny", "krympt"):
            x = d[(d["modell"] == kind) & d["har_intervall"]]
            cov, cov_se, n = _share_and_se(x["tacker"], x["replikat"])
            z = x[x["noll"]]
            lab, lab_se, nz = _share_and_se(z["markerad"], z["replikat"])
            out.append(
                (
                    s.namn,
                    s.beskrivning,
                    kind,
                    replikat,
                    n,
                    cov,
                    cov_se,
                    nz,
                    lab,
                    lab_se,
                    float(x["bredd"].mean()),
                )
            )
    return pd.DataFrame(out, columns=RESULT_COLUMNS)


def format_table(t: pd.DataFrame) -> str:
    """The calibration table as plain text."""
    lines = [
        f"{'scenario':<4} {'modell':<7} {'intervall':>9} {'täckning %':>14} {'nollenheter':>11} "
        f"{'markerade %':>14} {'medelbredd':>10}"
    ]
    for r in t.itertuples(index=False):
        lines.append(
            f"{r.scenario:<4} {r.modell:<7} {r.intervall:>9} {r.tackning:>7.1f} ± {r.tackning_se:>4.1f} "
            f"{r.noll_enheter:>11} {r.markerade_noll:>7.1f} ± {r.markerade_noll_se:>4.1f} {r.medelbredd:>10.1f}"
        )
    lines.append("")
    lines += [f"  {s.namn}: {s.beskrivning}" for s in SCENARIOS]
    return "\n".join(lines)


def main(argv=None) -> int:
    """``make calibrate``: the full calibration, printed (and written with ``--ut``)."""
    ap = argparse.ArgumentParser(description="Calibrate the value-added intervals by simulation.")
    ap.add_argument("--replikat", type=int, default=300, help="replications per scenario (default 300)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--ut", default="", help="write the table to this CSV file too")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    t = calibrate(replikat=a.replikat, seed=a.seed)
    print(format_table(t))
    print(f"\n{a.replikat} replications per scenario, seed {a.seed}, {time.perf_counter() - t0:.0f} s")
    if a.ut:
        t.to_csv(a.ut, index=False)
        print(f"Wrote {a.ut}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
