"""Figures for the pages: trends, unit comparisons with intervals, value added, gaps.

Each builder returns a :class:`Figure` (PNG bytes, alt text stating the message, a caption and a
data table) or ``None`` when there is nothing to draw. Rendering is deterministic: the Agg
backend, fixed size and dpi, ``metadata={'Software': None}``, no timestamps, so the same inputs give
the same bytes. Colours are Okabe-Ito (colour-blind safe) and every series also has its own marker
and line style, so meaning never depends on colour; figures are closed after rendering.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from pipeline.indicators.registry import Indicator  # noqa: E402
from pipeline.publishing.context import PageContext  # noqa: E402
from pipeline.publishing.format import attrs, esc, exact, format_number  # noqa: E402
from pipeline.publishing.tables import Notes, html_table, interval_html, value_html  # noqa: E402

#: Okabe-Ito: black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple.
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
#: Series styles: colour, marker, line style (the marker and line carry the meaning, too).
STYLE = {
    "enhet": ("#0072B2", "o", "-"),
    "huvudman": ("#D55E00", "s", "--"),
    "riket": ("#000000", "^", ":"),
    "jamforelse": ("#009E73", "D", "-."),
    "mal": ("#CC79A7", None, (0, (6, 2, 1, 2))),
    "flickor": ("#E69F00", "o", "-"),
    "pojkar": ("#0072B2", "s", "-"),
}
DPI = 100
WIDTH, HEIGHT = 7.0, 3.6
TREND_HEIGHT = 4.2
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "svg.hashsalt": "kvalitetsrapport",
}


@dataclass(frozen=True)
class Figure:
    """A rendered figure with its accessible text."""

    id: str
    png: bytes
    alt: str
    caption: str
    table_html: str
    summary: str = "Visa data för diagrammet"

    def to_html(self) -> str:
        """``<figure>`` with the image (data URI), alt text, caption and the data behind it."""
        data = base64.b64encode(self.png).decode("ascii")
        width, height = png_size(self.png)
        return (
            f'<figure class="diagram" id="{esc(self.id)}">'
            f'<img src="data:image/png;base64,{data}" alt="{esc(self.alt)}" '
            f'width="{width}" height="{height}">'
            f"<figcaption>{esc(self.caption)}</figcaption>"
            f"<details><summary>{esc(self.summary)}</summary>{self.table_html}</details>"
            f"</figure>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def render_png(fig: plt.Figure) -> bytes:
    """Save a figure as PNG with fixed metadata and dpi, then close it."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()


def _adjust_rows(fig: plt.Figure, labels: Sequence[str], *, right: float = 0.97) -> None:
    """Fixed margins for a plot with one labelled row per unit (cheaper than tight_layout and
    stable): the left margin grows with the longest label."""
    longest = max((len(label) for label in labels), default=10)
    left = min(0.55, 0.04 + 0.0105 * longest)
    height = fig.get_figheight()
    fig.subplots_adjust(
        left=left, right=right, bottom=min(0.45, 0.55 / height), top=1 - min(0.3, 0.4 / height)
    )


def _axis_formatter(ind: Indicator) -> FuncFormatter:
    suffix = " %" if ind.enhet == "procent" else ""
    return FuncFormatter(lambda v, _pos: format_number(v, 0 if abs(v) >= 20 else 1) + suffix)


def _new_figure(height: float = HEIGHT) -> tuple[plt.Figure, plt.Axes]:
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(WIDTH, height), dpi=DPI)
    for key in ("top", "right"):
        ax.spines[key].set_visible(False)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _series(
    ctx: PageContext,
    *,
    ind: Indicator,
    skolform: str,
    niva: str,
    skolenhetskod: str,
    grupp: str,
    years: Sequence[int],
) -> pd.DataFrame:
    df = ctx.indikatorer
    sel = df[
        (df["skolform"] == skolform)
        & (df["niva"] == niva)
        & (df["skolenhetskod"] == skolenhetskod)
        & (df["indikator"] == ind.id)
        & (df["grupp"] == grupp)
        & (df["lasar"].isin(list(years)))
    ]
    return sel.sort_values("lasar")


def _change(ctx: PageContext, **key: object) -> dict | None:
    fr = ctx.forandringar
    if fr is None or fr.empty:
        return None
    till = "lasar_till" if "lasar_till" in fr.columns else "lasar"
    mask = fr[till] == key.pop("lasar")
    for col, value in key.items():
        if col in fr.columns:
            mask &= fr[col] == value
    hit = fr[mask]
    return None if hit.empty else hit.iloc[0].to_dict()


# ---------------------------------------------------------------------------------------- trend
def trend_figure(
    ctx: PageContext,
    *,
    ind: Indicator,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    fig_id: str,
    notes: Notes | None = None,
) -> Figure | None:
    """Trend over the last ``trend_ar`` years for a unit (or the huvudman when ``skolenhetskod``
    is ``""``), with the huvudman, riket and the local target as references.

    Returns ``None`` when the subject has fewer than two years with a value.
    """
    years = list(range(lasar - ctx.params.installningar.trend_ar + 1, lasar + 1))
    subject_niva = "enhet" if skolenhetskod else "huvudman"
    subject_name = ctx.unit_name(skolform, skolenhetskod) if skolenhetskod else ctx.huvudman_namn
    levels = [(subject_niva, skolenhetskod, subject_name)]
    if skolenhetskod:
        levels.append(("huvudman", "", ctx.huvudman_namn))
    levels.append(("riket", "", ctx.label("nivaer", "riket")))
    frames = {
        niva: _series(
            ctx, ind=ind, skolform=skolform, niva=niva, skolenhetskod=code, grupp="samtliga", years=years
        )
        for niva, code, _ in levels
    }
    subject = frames[subject_niva].dropna(subset=["varde"])
    if len(subject) < 2:
        return None
    mal = ctx.target(ind.id, skolform)

    fig, ax = _new_figure(height=TREND_HEIGHT)
    for niva, _code, name in levels:
        s = frames[niva].dropna(subset=["varde"])
        if s.empty:
            continue
        colour, marker, ls = STYLE[niva]
        ax.plot(s["lasar"], s["varde"], color=colour, marker=marker, linestyle=ls, linewidth=2, label=name)
        if niva == subject_niva and s["ki_lag"].notna().any():
            ci = s.dropna(subset=["ki_lag", "ki_hog"])
            ax.fill_between(ci["lasar"], ci["ki_lag"], ci["ki_hog"], color=colour, alpha=0.15, linewidth=0)
    if mal is not None:
        colour, _m, ls = STYLE["mal"]
        ax.axhline(
            mal.varde, color=colour, linestyle=ls, linewidth=1.5, label=ctx.label("figur", "mal_linje")
        )
    ax.set_xticks(years)
    ax.set_xticklabels([ctx.lasar_text(y) for y in years])
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.yaxis.set_major_formatter(_axis_formatter(ind))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel(ctx.label("figur", "ar_axel"))
    ax.set_ylabel(ind.kort or ind.label)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.34, top=0.95)
    png = render_png(fig)

    first, last = subject.iloc[0], subject.iloc[-1]
    alt = [
        ctx.label(
            "figur",
            "trend_alt",
            indikator=ind.label,
            enhet=subject_name,
            forsta=ctx.fmt(ind, first["varde"]),
            fran=ctx.lasar_text(int(first["lasar"])),
            sista=ctx.fmt(ind, last["varde"]),
            till=ctx.lasar_text(int(last["lasar"])),
        )
    ]
    riket = frames["riket"]
    riket_now = riket[riket["lasar"] == last["lasar"]].dropna(subset=["varde"])
    if not riket_now.empty:
        alt.append(
            ctx.label(
                "figur",
                "trend_alt_riket",
                riket=ctx.fmt(ind, riket_now["varde"].iloc[0]),
                till=ctx.lasar_text(int(last["lasar"])),
            )
        )
    if mal is not None:
        alt.append(ctx.label("figur", "trend_alt_mal", mal=ctx.fmt(ind, mal.varde)))
    change = _change(
        ctx,
        lasar=int(last["lasar"]),
        typ="period",
        skolform=skolform,
        niva=subject_niva,
        skolenhetskod=skolenhetskod,
        indikator=ind.id,
        grupp="samtliga",
    )
    if change is not None:
        if bool(change.get("signifikant")):
            alt.append(
                ctx.label(
                    "figur", "trend_alt_okning" if float(change["forandring"]) > 0 else "trend_alt_minskning"
                )
            )
        else:
            alt.append(ctx.label("figur", "trend_alt_ingen"))

    rows = []
    for y in years:
        cells = [esc(ctx.lasar_text(y))]
        for niva, _code, _name in levels:
            hit = frames[niva][frames[niva]["lasar"] == y]
            cells.append(value_html(hit.iloc[0].to_dict(), ind, notes) if not hit.empty else "–")
        sub = frames[subject_niva][frames[subject_niva]["lasar"] == y]
        cells.append(interval_html(sub.iloc[0].to_dict() if not sub.empty else None, ind))
        rows.append(cells)
    columns = [
        ctx.label("tabell", "lasar"),
        *[name for _, _, name in levels],
        ctx.label("tabell", "intervall"),
    ]
    caption = ctx.label(
        "figur",
        "trend_caption",
        indikator=ind.label,
        enhet=subject_name,
        fran=ctx.lasar_text(years[0]),
        till=ctx.lasar_text(years[-1]),
    )
    table = html_table(caption=caption, columns=columns, rows=rows)
    return Figure(fig_id, png, " ".join(alt), caption, table, ctx.label("figur", "visa_data"))


# ----------------------------------------------------------------------------------- caterpillar
def caterpillar_figure(
    ctx: PageContext,
    *,
    ind: Indicator,
    skolform: str,
    lasar: int,
    fig_id: str,
    notes: Notes | None = None,
    highlight: str = "",
) -> Figure | None:
    """Every unit's value with its 95 % interval, sorted, with the huvudman's value as a line.

    Units whose value is hidden are left out of the drawing but listed in the data table.
    Returns ``None`` with fewer than two units with a value.
    """
    df = ctx.indikatorer
    sel = df[
        (df["skolform"] == skolform)
        & (df["lasar"] == lasar)
        & (df["indikator"] == ind.id)
        & (df["grupp"] == "samtliga")
        & (df["niva"] == "enhet")
    ].copy()
    sel["namn"] = [ctx.unit_name(skolform, c) for c in sel["skolenhetskod"]]
    shown = sel.dropna(subset=["varde"]).sort_values(["varde", "namn"])
    if len(shown) < 2:
        return None
    hm = df[
        (df["skolform"] == skolform)
        & (df["lasar"] == lasar)
        & (df["indikator"] == ind.id)
        & (df["grupp"] == "samtliga")
        & (df["niva"] == "huvudman")
    ].dropna(subset=["varde"])
    hm_value = float(hm["varde"].iloc[0]) if not hm.empty else None

    fig, ax = _new_figure(height=max(2.4, 0.45 * len(shown) + 1.2))
    ys = list(range(len(shown)))
    lo = (shown["varde"] - shown["ki_lag"]).fillna(0).clip(lower=0)
    hi = (shown["ki_hog"] - shown["varde"]).fillna(0).clip(lower=0)
    colour, marker, _ = STYLE["enhet"]
    ax.errorbar(shown["varde"], ys, xerr=[lo, hi], fmt=marker, color=colour, ecolor=colour, capsize=3)
    if highlight and highlight in set(shown["skolenhetskod"]):
        i = list(shown["skolenhetskod"]).index(highlight)
        ax.plot(
            [shown["varde"].iloc[i]],
            [i],
            marker="D",
            markersize=10,
            color=STYLE["huvudman"][0],
            linestyle="none",
        )
    labels = [
        ctx.label("figur", "vald_enhet", enhet=n) if c == highlight else n
        for c, n in zip(shown["skolenhetskod"], shown["namn"], strict=True)
    ]
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    if hm_value is not None:
        hc, _m, hls = STYLE["huvudman"]
        ax.axvline(hm_value, color=hc, linestyle=hls, linewidth=1.5, label=ctx.huvudman_namn)
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    ax.xaxis.set_major_formatter(_axis_formatter(ind))
    ax.set_xlabel(ind.kort or ind.label)
    ax.set_ylim(-0.6, len(ys) - 0.4)
    _adjust_rows(fig, labels)
    png = render_png(fig)

    top, bottom = shown.iloc[-1], shown.iloc[0]
    fill = dict(
        indikator=ind.label,
        lasar_text=ctx.lasar_text(lasar),
        hogst_enhet=top["namn"],
        hogst=ctx.fmt(ind, top["varde"]),
        lagst_enhet=bottom["namn"],
        lagst=ctx.fmt(ind, bottom["varde"]),
    )
    if hm_value is not None:
        alt = ctx.label("figur", "caterpillar_alt", huvudman=ctx.fmt(ind, hm_value), **fill)
    else:
        alt = ctx.label("figur", "caterpillar_alt_utan_huvudman", **fill)

    rows = []
    for rec in sel.sort_values(["namn", "skolenhetskod"]).to_dict("records"):
        rows.append([esc(rec["namn"]), value_html(rec, ind, notes), interval_html(rec, ind)])
    for rec in hm.to_dict("records"):
        rows.append([esc(ctx.huvudman_namn), value_html(rec, ind, notes), interval_html(rec, ind)])
    caption = ctx.label("figur", "caterpillar_caption", indikator=ind.label, lasar_text=ctx.lasar_text(lasar))
    table = html_table(
        caption=caption,
        columns=[
            ctx.label("tabell", "enhet"),
            ctx.label("tabell", "varde"),
            ctx.label("tabell", "intervall"),
        ],
        rows=rows,
    )
    return Figure(fig_id, png, alt, caption, table, ctx.label("figur", "visa_data"))


# ------------------------------------------------------------------------------------- value added
_VA_WORDS = {"över förväntan": "over", "under förväntan": "under", "som förväntat": "som_forvantat"}


def _va_assessment(rec: dict) -> str:
    bed = str(rec.get("bedomning") or "")
    bed = _VA_WORDS.get(bed, bed)
    if bed in ("over", "under", "som_forvantat"):
        return bed
    if rec["ki_lag"] > 0:
        return "over"
    if rec["ki_hog"] < 0:
        return "under"
    return "som_forvantat"


def va_figure(
    ctx: PageContext,
    *,
    skolform: str,
    lasar: int,
    fig_id: str,
    highlight: str = "",
) -> Figure | None:
    """Caterpillar plot of value added (residual with 95 % interval) for the form's units.

    A unit is called above or below expectation only when its interval excludes zero; the marker
    shape says which (▲ above, ▼ below, ● as expected). ``None`` without ``va_enheter``.
    """
    va = ctx.va_enheter
    if va is None or va.empty:
        return None
    df = ctx.indikatorer
    codes = set(df[(df["skolform"] == skolform) & (df["niva"] == "enhet")]["skolenhetskod"])
    mask = (va["lasar"] == lasar) & (va["skolenhetskod"].astype(str).isin(codes))
    if "skolform" in va.columns:
        mask &= va["skolform"] == skolform
    sel = va[mask].dropna(subset=["residual", "ki_lag", "ki_hog"]).copy()
    if len(sel) < 1:
        return None
    sel["skolenhetskod"] = sel["skolenhetskod"].astype(str)
    sel["namn"] = [ctx.unit_name(skolform, c) for c in sel["skolenhetskod"]]
    sel = sel.sort_values(["residual", "namn"]).reset_index(drop=True)
    records = sel.to_dict("records")
    for rec in records:
        rec["bed"] = _va_assessment(rec)

    fig, ax = _new_figure(height=max(2.4, 0.45 * len(records) + 1.2))
    shapes = {"over": ("^", "#009E73"), "under": ("v", "#D55E00"), "som_forvantat": ("o", "#0072B2")}
    for i, rec in enumerate(records):
        marker, colour = shapes[rec["bed"]]
        ax.errorbar(
            [rec["residual"]],
            [i],
            xerr=[[max(rec["residual"] - rec["ki_lag"], 0)], [max(rec["ki_hog"] - rec["residual"], 0)]],
            fmt=marker,
            color=colour,
            ecolor=colour,
            capsize=3,
            markersize=8 if rec["skolenhetskod"] == highlight else 6,
        )
    ax.axvline(0, color="#000000", linewidth=1, linestyle="-")
    ax.set_yticks(range(len(records)))
    ax.set_yticklabels(
        [
            ctx.label("figur", "vald_enhet", enhet=r["namn"])
            if r["skolenhetskod"] == highlight
            else r["namn"]
            for r in records
        ]
    )
    for bed, (marker, colour) in shapes.items():
        ax.plot(
            [],
            [],
            marker=marker,
            color=colour,
            linestyle="none",
            label=ctx.label("figur", "va_bedomning", bed),
        )
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, 1)))
    ax.set_xlabel(ctx.label("figur", "va_axel"))
    ax.set_ylim(-0.6, len(records) - 0.4)
    _adjust_rows(fig, [t.get_text() for t in ax.get_yticklabels()])
    png = render_png(fig)

    counts = {k: sum(r["bed"] == k for r in records) for k in shapes}
    alt = ctx.label(
        "figur",
        "va_alt",
        lasar_text=ctx.lasar_text(lasar),
        over=counts["over"],
        under=counts["under"],
        som=counts["som_forvantat"],
    )
    rows = []
    for rec in sorted(records, key=lambda r: (r["namn"], r["skolenhetskod"])):
        base = {
            "data-kalla": "va_enheter",
            "data-skolenhetskod": rec["skolenhetskod"],
            "data-lasar": str(lasar),
        }
        cells = [esc(rec["namn"])]
        for col in ("residual", "ki_lag", "ki_hog"):
            a = {**base, "data-kolumn": col, "data-varde": exact(rec[col])}
            cells.append(f'<span class="tal"{attrs(a)}>{format_number(rec[col], 1)}</span>')
        cells.append(esc(ctx.label("figur", "va_bedomning", rec["bed"])))
        rows.append(cells)
    caption = ctx.label("figur", "va_caption", lasar_text=ctx.lasar_text(lasar))
    table = html_table(
        caption=caption,
        columns=[
            ctx.label("tabell", "enhet"),
            ctx.label("figur", "va_axel"),
            ctx.label("figur", "va_lag"),
            ctx.label("figur", "va_hog"),
            ctx.label("figur", "va_bedomning_kolumn"),
        ],
        rows=rows,
    )
    return Figure(fig_id, png, alt, caption, table, ctx.label("figur", "visa_data"))


# -------------------------------------------------------------------------------------------- gap
def gap_figure(
    ctx: PageContext,
    *,
    ind: Indicator,
    skolform: str,
    skolenhetskod: str,
    lasar: int,
    fig_id: str,
    notes: Notes | None = None,
) -> Figure | None:
    """Flickor and pojkar side by side (a dumbbell per läsår), for a unit or the huvudman.

    ``None`` when neither group has a value in any year.
    """
    years = list(range(lasar - ctx.params.installningar.trend_ar + 1, lasar + 1))
    niva = "enhet" if skolenhetskod else "huvudman"
    name = ctx.unit_name(skolform, skolenhetskod) if skolenhetskod else ctx.huvudman_namn
    groups = {
        g: _series(
            ctx, ind=ind, skolform=skolform, niva=niva, skolenhetskod=skolenhetskod, grupp=g, years=years
        )
        for g in ("flickor", "pojkar")
    }
    if all(f.dropna(subset=["varde"]).empty for f in groups.values()):
        return None

    fig, ax = _new_figure()
    for g, frame in groups.items():
        s = frame.dropna(subset=["varde"])
        colour, marker, _ = STYLE[g]
        ax.plot(
            s["varde"],
            s["lasar"],
            marker=marker,
            color=colour,
            linestyle="none",
            markersize=8,
            label=ctx.group_label(g),
        )
    both = (
        groups["flickor"]
        .merge(groups["pojkar"], on="lasar", suffixes=("_f", "_p"))
        .dropna(subset=["varde_f", "varde_p"])
    )
    for rec in both.to_dict("records"):
        ax.plot(
            [rec["varde_f"], rec["varde_p"]],
            [rec["lasar"], rec["lasar"]],
            color="#777777",
            linewidth=1.5,
            zorder=0,
        )
    ax.set_yticks(years)
    ax.set_yticklabels([ctx.lasar_text(y) for y in years])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_axis_formatter(ind))
    ax.set_xlabel(ind.kort or ind.label)
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.16, top=0.88)
    png = render_png(fig)

    now_f = groups["flickor"][groups["flickor"]["lasar"] == lasar].dropna(subset=["varde"])
    now_p = groups["pojkar"][groups["pojkar"]["lasar"] == lasar].dropna(subset=["varde"])
    if not now_f.empty and not now_p.empty:
        f, p = float(now_f["varde"].iloc[0]), float(now_p["varde"].iloc[0])
        alt = ctx.label(
            "figur",
            "gap_alt",
            indikator=ind.label,
            lasar_text=ctx.lasar_text(lasar),
            flickor=ctx.fmt(ind, f),
            pojkar=ctx.fmt(ind, p),
            skillnad=format_number(abs(f - p), ind.decimaler),
            enhet_ord=ctx.unit_word(ind, change=True),
        )
    else:
        alt = ctx.label("figur", "gap_alt_undertryckt", indikator=ind.label, lasar_text=ctx.lasar_text(lasar))
    rows = []
    for y in years:
        cells = [esc(ctx.lasar_text(y))]
        for g in ("flickor", "pojkar"):
            hit = groups[g][groups[g]["lasar"] == y]
            cells.append(value_html(hit.iloc[0].to_dict(), ind, notes) if not hit.empty else "–")
        rows.append(cells)
    caption = ctx.label("figur", "gap_caption", indikator=ind.label, enhet=name)
    table = html_table(
        caption=caption,
        columns=[ctx.label("tabell", "lasar"), ctx.group_label("flickor"), ctx.group_label("pojkar")],
        rows=rows,
    )
    return Figure(fig_id, png, alt.strip(), caption, table, ctx.label("figur", "visa_data"))
