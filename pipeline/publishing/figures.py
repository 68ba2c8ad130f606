"""Figures for the pages: trends, unit comparisons with intervals, value added, gaps.

Each builder returns a :class:`Figure` (SVG bytes, alt text stating the message, a caption and a
data table) or ``None`` when there is nothing to draw. Figures are SVG with the text as text
(DejaVu Sans, with the usual sans-serif fallbacks named): sharp at any zoom, selectable and
searchable in the printed PDF (whose leak scan therefore reads the figures' words too), half the
size of a PNG and about a third cheaper to render. Text as paths would not depend on the
reader's fonts, but it doubled the board PDF (every glyph a vector path). Rendering is deterministic: fixed size, no date or
creator in the metadata, ids salted with a constant, so the same inputs give the same bytes. Colours are Okabe-Ito (colour-blind safe) and every series also has its own marker
and line style, so meaning never depends on colour; figures are closed after rendering.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from markupsafe import Markup  # noqa: E402
from matplotlib.ticker import Formatter, MaxNLocator  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

from pipeline.indicators.registry import Indicator  # noqa: E402
from pipeline.publishing.context import PageContext  # noqa: E402
from pipeline.publishing.format import exact, format_number, lower_first  # noqa: E402
from pipeline.publishing.render import M  # noqa: E402
from pipeline.publishing.tables import Notes, html_table, interval_html, value_html  # noqa: E402
from pipeline.publishing.views import FigureView  # noqa: E402

#: Okabe-Ito: black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple.
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
#: Series styles: colour, marker, line style (the marker and line carry the meaning, too).
STYLE: dict[str, tuple[str, Any, Any]] = {
    "enhet": ("#0072B2", "o", "-"),
    "huvudman": ("#D55E00", "s", "--"),
    "riket": ("#000000", "^", ":"),
    "jamforelse": ("#009E73", "D", "-."),
    "mal": ("#CC79A7", None, (0, (6, 2, 1, 2))),
    "flickor": ("#E69F00", "o", "-"),
    "pojkar": ("#0072B2", "s", "-"),
}
DPI = 100
#: Figure size in inches. The SVG scales with the page: on a 390 px phone a figure is about
#: 350 px wide, so the text is sized relative to the width (12 pt on 6 in: about 10 px on a phone,
#: 17 px at the natural 600 px on a desktop).
WIDTH, HEIGHT = 6.0, 3.6
TREND_HEIGHT = 4.4
FONT_SIZE = 13
_RC: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",  # DejaVu Sans first; the SVG names the fallbacks for readers without it
    "font.size": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE - 0.5,
    "ytick.labelsize": FONT_SIZE - 0.5,
    "legend.fontsize": FONT_SIZE - 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "svg.hashsalt": "kvalitetsrapport",
}
# The report's style for every text of a figure, including what is added after the axes are made
# (legends, axis labels take their size when they are created, not from the figure's context).
matplotlib.rcParams.update(_RC)


#: A rendered figure (see :class:`pipeline.publishing.views.FigureView`).
Figure = FigureView


_SVG_SIZE = re.compile(rb'<svg[^>]*?width="([0-9.]+)pt" height="([0-9.]+)pt"')


#: The longest legend entry that fits in a two-column legend under a trend figure.
_LEGEND_TWO_COLUMN_CHARS = 24


def svg_size(svg: bytes) -> tuple[int, int]:
    """Width and height in CSS pixels (at :data:`DPI`), from the SVG's size in points."""
    m = _SVG_SIZE.search(svg[:2000])
    if m is None:
        raise ValueError("not a matplotlib SVG: no width/height in points")
    return round(float(m.group(1)) * DPI / 72), round(float(m.group(2)) * DPI / 72)


_SVG_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "kvalitetsrapport",
    "svg.image_inline": True,
}


def render_svg(fig: plt.Figure) -> bytes:
    """Save a figure as SVG (text as text, no date or creator, fixed ids), then close it."""
    buf = io.BytesIO()
    try:
        with plt.rc_context(_SVG_RC):
            fig.savefig(buf, format="svg", dpi=DPI, metadata={"Date": None, "Creator": None})
    finally:
        plt.close(fig)
    return buf.getvalue()


#: Unit names on a row axis are wrapped at this many characters (a phone shows the figure at
#: about 350 px: a long name on one line would take half of it).
ROW_LABEL_WRAP = 24


def _adjust_rows(fig: plt.Figure, ax: plt.Axes, *, right: float = 0.97, legend_rows: int = 1) -> None:
    """Fixed margins for a plot with one labelled row per unit (cheaper than tight_layout and
    stable): long unit names are wrapped onto two lines, and the left margin grows with the
    longest line (at the figure's font size and width). The top margin holds ``legend_rows`` rows
    of legend above the plot (0: the figure has no legend and no empty band)."""
    import textwrap

    labels = [t.get_text() for t in ax.get_yticklabels()]
    wrapped = [textwrap.fill(label, ROW_LABEL_WRAP, break_long_words=False) for label in labels]
    ax.set_yticklabels(wrapped)
    longest = max((len(line) for w in wrapped for line in w.split("\n")), default=10)
    char_width = 0.56 * FONT_SIZE / 72  # inches per character of DejaVu Sans, roughly
    left = min(0.5, 0.03 + longest * char_width / fig.get_figwidth())
    height = fig.get_figheight()
    fig.subplots_adjust(
        left=left,
        right=right,
        bottom=min(0.45, 0.7 / height),
        top=1 - min(0.45, (0.15 + 0.3 * legend_rows) / height),
    )


def tick_decimals(locs: Sequence[float], most: int = 3) -> int:
    """The decimals that write every tick of an axis exactly and alike: from the step between
    ticks (5 -> 0, 2,5 -> 1, 0,25 -> 2), at most ``most``."""
    values = sorted({round(float(v), 9) for v in locs})
    steps = [b - a for a, b in zip(values, values[1:], strict=False) if b - a > 1e-12]
    if not steps:
        return 0
    step = min(steps)
    for d in range(most + 1):
        scaled = step * 10**d
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return d
    return most


class AxisFormatter(Formatter):
    """Every tick of an axis in one format, through the one formatter (``format_number``): the
    decimals follow the step between the ticks, so two ticks never read alike ("5,0 5,0") and an
    axis never mixes "15,0" with "30"."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self.decimals = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self.decimals = tick_decimals(list(locs))

    def __call__(self, x, pos=None) -> str:
        return format_number(x, self.decimals) + self.suffix


def _axis_formatter(ind: Indicator | None = None) -> AxisFormatter:
    return AxisFormatter("\u00a0%" if ind is not None and ind.enhet == "procent" else "")


def _value_locator(ind: Indicator | None, nbins: int = 5) -> MaxNLocator:
    """Round ticks (steps of 1, 2, 2,5 or 5 times a power of ten); whole numbers for a value
    shown without decimals."""
    return MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10], integer=ind is not None and ind.decimaler == 0)


def _set_value_axis(axis, ind: Indicator | None, nbins: int = 5) -> None:
    axis.set_major_locator(_value_locator(ind, nbins))
    axis.set_major_formatter(_axis_formatter(ind))


def _zero_baseline(ax: plt.Axes, values: Sequence[float]) -> None:
    """Start the value axis at zero for a level or a share, so a small change is not drawn as a
    dramatic one (a value axis of 1 610–1 640 made 1,5 % look like a collapse)."""
    vals = [float(v) for v in values if not pd.isna(v)]
    if vals and min(vals) >= 0:
        top = max(vals)
        ax.set_ylim(0, top * 1.08 if top > 0 else 1)


def _mark_axis_break(ax: plt.Axes, axis: str = "x") -> None:
    """A value axis of a dot plot (or of a ratio) that does not start at zero gets the usual
    break mark (two short slanted strokes at its start), so no reader takes its start for zero."""
    lo, _hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    if lo <= 0:
        return
    for d in (-0.012, 0.012):
        xs, ys = (
            ([d - 0.008, d + 0.008], [-0.03, 0.03])
            if axis == "x"
            else ([-0.03, 0.03], [d - 0.008, d + 0.008])
        )
        ax.plot(
            xs,
            ys,
            transform=ax.transAxes,
            color="#333333",
            linewidth=1.2,
            clip_on=False,
            gid="axelbrott",
        )


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
    return ctx.series(
        skolform=skolform, niva=niva, skolenhetskod=skolenhetskod, indikator=ind.id, grupp=grupp, years=years
    )


def _by_year(frame: pd.DataFrame) -> dict[int, dict]:
    """A series' rows by läsår (the first row of a year, as the table shows it)."""
    out: dict[int, dict] = {}
    for rec in frame.to_dict("records"):
        out.setdefault(int(rec["lasar"]), rec)
    return out


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
    levels.append(("jamforelse", "", ctx.params.huvudman.jamforelsegrupp_namn))
    levels.append(("riket", "", ctx.label("nivaer", "riket")))
    frames = {
        niva: _series(
            ctx, ind=ind, skolform=skolform, niva=niva, skolenhetskod=code, grupp="samtliga", years=years
        )
        for niva, code, _ in levels
    }
    # the comparison group and riket are drawn (and tabled) where a file holds a value for them
    levels = [
        lv for lv in levels if lv[0] in (subject_niva, "huvudman") or frames[lv[0]]["varde"].notna().any()
    ]
    subject = frames[subject_niva].dropna(subset=["varde"])
    if len(subject) < 2:
        return None
    mal = ctx.target(ind.id, skolform)

    fig, ax = _new_figure(height=TREND_HEIGHT)
    drawn: list[str] = []  # the series the figure draws, in the order the caption names them
    plotted: list[float] = []
    for niva, _code, name in levels:
        s = frames[niva].dropna(subset=["varde"])
        if s.empty:
            continue
        colour, marker, ls = STYLE[niva]
        ax.plot(
            s["lasar"],
            s["varde"],
            color=colour,
            marker=marker,
            linestyle=ls,
            linewidth=2,
            label=name,
            gid=f"serie-{niva}",
        )
        drawn.append(niva)
        plotted += list(s["varde"])
        if niva == subject_niva and s["ki_lag"].notna().any():
            ci = s.dropna(subset=["ki_lag", "ki_hog"])
            ax.fill_between(
                ci["lasar"],
                ci["ki_lag"],
                ci["ki_hog"],
                color=colour,
                alpha=0.15,
                linewidth=0,
                gid="serie-intervall",
            )
            drawn.append("intervall")
            plotted += list(ci["ki_lag"]) + list(ci["ki_hog"])
    if mal is not None:
        colour, _m, ls = STYLE["mal"]
        ax.axhline(
            mal.varde,
            color=colour,
            linestyle=ls,
            linewidth=1.5,
            label=ctx.label("figur", "mal_linje"),
            gid="serie-mal",
        )
        drawn.append("mal")
        plotted.append(mal.varde)
    ax.set_xticks(years)
    ax.set_xticklabels([ctx.lasar_text(y) for y in years])
    ax.set_xlim(years[0] - 0.4, years[-1] + 0.4)
    _set_value_axis(ax.yaxis, ind)
    if ind.enhet == "kvot":  # a ratio around 1: its range, with the axis break marked
        _mark_axis_break(ax, axis="y")
    else:
        _zero_baseline(ax, plotted)
    ax.set_xlabel(ctx.label("figur", "ar_axel"))
    ax.set_ylabel(ind.kort or ind.label)
    # two columns, or one when a name (a comparison group's) would run past the figure's edge
    labels = ax.get_legend_handles_labels()[1]
    ncol = 1 if labels and max(len(x) for x in labels) > _LEGEND_TWO_COLUMN_CHARS else 2
    legend_rows = -(-len(labels) // ncol) if labels else 0
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol, frameon=False)
    fig.subplots_adjust(left=0.15, right=0.97, bottom=0.36 + 0.055 * max(legend_rows - 2, 0), top=0.95)
    svg = render_svg(fig)

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
    riket = frames.get("riket", frames[subject_niva].iloc[0:0])
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
    change = ctx.change(
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

    by_year = {niva: _by_year(frame) for niva, frame in frames.items()}
    rows = []
    for y in years:
        cells = [ctx.lasar_text(y)]
        for niva, _code, _name in levels:
            hit = by_year[niva].get(y)
            cells.append(value_html(hit, ind, notes) if hit is not None else "–")
        if "intervall" in drawn:
            cells.append(interval_html(by_year[subject_niva].get(y), ind))
        rows.append(cells)
    columns = [
        ctx.label("tabell", "lasar"),
        *[name for _, _, name in levels],
        *([ctx.label("tabell", "intervall")] if "intervall" in drawn else []),
    ]
    names = {niva: name for niva, _code, name in levels}
    caption = _caption(
        ctx,
        ctx.label(
            "figur",
            "trend_caption",
            indikator=ind.label,
            enhet=subject_name,
            fran=ctx.lasar_text(years[0]),
            till=ctx.lasar_text(years[-1]),
        ),
        references=[_reference_name(ctx, n, names[n]) for n in drawn if n in names and n != subject_niva],
        parts=[p for p in ("intervall", "mal") if p in drawn],
    )
    table = html_table(caption=caption, columns=columns, rows=rows)
    return FigureView(fig_id, svg, " ".join(alt), caption, table, ctx.label("figur", "visa_data"))


def _reference_name(ctx: PageContext, niva: str, name: str) -> str:
    """How a caption names a comparison series: ``huvudmannen (Exempelkommun)``, ``riket``, the
    comparison group by its configured name, lower-first inside the sentence (the legend keeps
    the capital)."""
    if niva == "huvudman":
        return ctx.label("diagram", "referens_huvudman", namn=name)
    if niva == "jamforelse":
        return ctx.label("diagram", "referens_jamforelse", namn=lower_first(name))
    return ctx.label("diagram", "referens_riket")


def _caption(
    ctx: PageContext, base: str, *, references: Sequence[str] = (), parts: Sequence[str] = ()
) -> str:
    """A caption that names only what the figure draws: the base sentence, the comparison series
    drawn (``references``) and the explanation of each other element drawn (``parts``: ``intervall``,
    ``mal``, ``huvudman_linje``, ``lada``)."""
    text = [base]
    if references:
        refs = list(references)
        joined = (
            refs[0]
            if len(refs) == 1
            else ", ".join(refs[:-1]) + " " + ctx.label("diagram", "och") + " " + refs[-1]
        )
        text.append(ctx.label("diagram", "jamforelse_med", referenser=joined))
    text += [ctx.label("diagram", "forklaring", p) for p in parts]
    return " ".join(text)


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
    units = ctx.indicator_rows(skolform=skolform, niva="enhet", indikator=ind.id)
    # the huvudman's own units only: another organiser's school in the kommun is not one of them
    sel = units[(units["lasar"] == lasar) & units["skolenhetskod"].isin(ctx.own_unit_codes(skolform))].copy()
    sel["namn"] = [ctx.unit_name(skolform, c) for c in sel["skolenhetskod"]]
    shown = sel.dropna(subset=["varde"]).sort_values(["varde", "namn"])
    if len(shown) < 2:
        return None
    hm = ctx.indicator_rows(skolform=skolform, niva="huvudman", indikator=ind.id)
    hm = hm[hm["lasar"] == lasar].dropna(subset=["varde"])
    hm_value = _reference_value(ind, hm)
    if _one_row(ctx, highlight, len(shown)):
        return _position_figure(
            ctx,
            ind=ind,
            sel=sel,
            shown=shown,
            hm=hm,
            lasar=lasar,
            fig_id=fig_id,
            notes=notes,
            highlight=highlight,
        )

    fig, ax = _new_figure(height=max(2.6, 0.55 * len(shown) + 1.3))
    ys = list(range(len(shown)))
    lo = (shown["varde"] - shown["ki_lag"]).fillna(0).clip(lower=0)
    hi = (shown["ki_hog"] - shown["varde"]).fillna(0).clip(lower=0)
    colour, marker, _ = STYLE["enhet"]
    has_interval = bool((lo > 0).any() or (hi > 0).any())
    bars = ax.errorbar(shown["varde"], ys, xerr=[lo, hi], fmt=marker, color=colour, ecolor=colour, capsize=3)
    bars.lines[0].set_gid("serie-enheter")
    for coll in bars.lines[2]:
        coll.set_gid("serie-intervall" if has_interval else "serie-enheter-streck")
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
        ax.axvline(
            hm_value, color=hc, linestyle=hls, linewidth=1.5, label=ctx.huvudman_namn, gid="serie-huvudman"
        )
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    _set_value_axis(ax.xaxis, ind, nbins=5)
    ax.set_xlabel(ind.kort or ind.label)
    ax.set_ylim(-0.6, len(ys) - 0.4)
    _adjust_rows(fig, ax, legend_rows=1 if hm_value is not None else 0)  # no legend, no band for it
    _mark_axis_break(ax)
    svg = render_svg(fig)

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
        rows.append([rec["namn"], value_html(rec, ind, notes), interval_html(rec, ind)])
    for rec in hm.to_dict("records"):
        rows.append([ctx.huvudman_namn, value_html(rec, ind, notes), interval_html(rec, ind)])
    caption = _caption(
        ctx,
        ctx.label(
            "figur",
            "caterpillar_caption",
            indikator=ind.label,
            lasar_text=ctx.lasar_text(lasar),
            **ctx.words(skolform),
        ),
        parts=(["intervall_streck"] if has_interval else [])
        + (["huvudman_linje"] if hm_value is not None else []),
    )
    table = html_table(
        caption=caption,
        columns=[
            ctx.label("tabell", "enhet", **ctx.words(skolform)),
            ctx.label("tabell", "varde"),
            ctx.label("tabell", "intervall"),
        ],
        rows=rows,
    )
    return FigureView(fig_id, svg, alt, caption, table, ctx.label("figur", "visa_data"))


# ----------------------------------------------------------------------------- one unit among many
_OTHERS = "#777777"


def _strip_axes(values: Sequence[float]) -> tuple[plt.Figure, plt.Axes]:
    """One row: every other unit as a grey dot over a box (quartiles, whiskers lowest to highest);
    the caller adds the unit and the reference line. Constant cost whatever the number of units
    (one scatter)."""
    fig, ax = _new_figure(height=2.9)
    ordered = sorted(values)
    box = ax.boxplot(
        [ordered],
        orientation="horizontal",
        positions=[0],
        widths=0.55,
        whis=(0, 100),
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "#eeeeee", "edgecolor": _OTHERS},
        medianprops={"color": "#000000", "linewidth": 1.5},
        whiskerprops={"color": _OTHERS},
        capprops={"color": _OTHERS},
    )
    # a fixed spread (by rank) so that equal values stay visible; deterministic
    offsets = [((i % 5) - 2) * 0.07 for i in range(len(ordered))]
    for key in ("boxes", "medians", "whiskers", "caps"):
        for artist in box[key]:
            artist.set_gid("serie-fordelning")
    ax.scatter(ordered, offsets, s=14, color=_OTHERS, alpha=0.7, linewidths=0, zorder=3, gid="serie-ovriga")
    return fig, ax


def _finish_strip(fig: plt.Figure, ax: plt.Axes, ind: Indicator | None, xlabel: str, handles: list) -> None:
    ax.set_yticks([])
    ax.set_ylim(-0.6, 0.6)
    ax.spines["left"].set_visible(False)
    ax.grid(False, axis="y")
    _set_value_axis(ax.xaxis, ind, nbins=6)
    ax.set_xlabel(xlabel)
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.subplots_adjust(left=0.04, right=0.96, bottom=0.22, top=0.7)
    if ind is not None:
        _mark_axis_break(ax)


def _reference_value(ind: Indicator, hm: pd.DataFrame) -> float | None:
    """The huvudman's value as a line among the units; none for a count (``antal``: the
    huvudman's is the sum of the units', not comparable with one unit's)."""
    if hm.empty or ind.enhet == "antal":
        return None
    return float(hm["varde"].iloc[0])


def _one_row(ctx: PageContext, highlight: str, n_units: int) -> bool:
    """Compare in one row (distribution) rather than a row per unit: on a unit page above
    ``jamforelse_max_enheter`` units, on the overview above ``oversikt_max_enheter``."""
    s = ctx.params.installningar
    return n_units > (s.jamforelse_max_enheter if highlight else s.oversikt_max_enheter)


def _legend_handles(
    ctx: PageContext, skolform: str, unit_label: str, reference: tuple[str, str, Any] | None
) -> list:
    """The unit (when ``unit_label``), the other units, the reference line."""
    from matplotlib.lines import Line2D

    colour, _m, _ls = STYLE["enhet"]
    handles = []
    if unit_label:
        handles.append(
            Line2D([], [], marker="D", color=colour, linestyle="none", markersize=9, label=unit_label)
        )
    others = ctx.label("figur", "ovriga_enheter" if unit_label else "alla_enheter", **ctx.words(skolform))
    handles.append(Line2D([], [], marker="o", color=_OTHERS, linestyle="none", markersize=5, label=others))
    if reference is not None:
        label, rc, rls = reference
        handles.append(Line2D([], [], color=rc, linestyle=rls, linewidth=1.5, label=label))
    return handles


def _derived_html(value: float, decimals: int, suffix: str, **key: str) -> Markup:
    """A number computed from the units' published values (a quartile, a count)."""
    a = {"data-kalla": "fordelning", **{f"data-{k}": v for k, v in key.items()}, "data-varde": exact(value)}
    return M.tal(a, format_number(value, decimals) + suffix)


def _distribution_rows(
    ctx: PageContext, q: dict[str, float], n: int, *, decimals: int, suffix: str, **key: str
) -> list[list]:
    words = ctx.words(key.get("skolform"))
    rows = [
        [
            ctx.label("figur", "fordelning", k, **words),
            _derived_html(v, decimals, suffix, kolumn=k, **key),
            "–",
        ]
        for k, v in q.items()
    ]
    rows.append(
        [
            ctx.label("figur", "fordelning", "antal", **words),
            _derived_html(n, 0, "", kolumn="antal_enheter", **key),
            "–",
        ]
    )
    return rows


def _position_figure(
    ctx: PageContext,
    *,
    ind: Indicator,
    sel: pd.DataFrame,
    shown: pd.DataFrame,
    hm: pd.DataFrame,
    lasar: int,
    fig_id: str,
    notes: Notes | None,
    highlight: str,
) -> Figure:
    """The unit's value among all the school form's units, in one row (for many units); without
    ``highlight`` (the overview), the distribution of the units with the huvudman's value."""
    skolform = str(sel["skolform"].iloc[0])
    name = ctx.unit_name(skolform, highlight) if highlight else ctx.huvudman_namn
    mine = shown[shown["skolenhetskod"] == highlight]
    others = shown[shown["skolenhetskod"] != highlight]["varde"].astype(float).tolist()
    hm_value = _reference_value(ind, hm)
    fig, ax = _strip_axes(others)
    colour, _m, _ls = STYLE["enhet"]
    if not mine.empty:
        rec = mine.iloc[0]
        v = float(rec["varde"])
        lo = 0.0 if pd.isna(rec["ki_lag"]) else max(v - float(rec["ki_lag"]), 0.0)
        hi = 0.0 if pd.isna(rec["ki_hog"]) else max(float(rec["ki_hog"]) - v, 0.0)
        bars = ax.errorbar(
            [v],
            [0],
            xerr=[[lo], [hi]],
            fmt="D",
            markersize=10,
            color=colour,
            ecolor=colour,
            capsize=4,
            zorder=5,
        )
        bars.lines[0].set_gid("serie-enhet")
        for coll in bars.lines[2]:
            coll.set_gid("serie-intervall" if lo or hi else "serie-enhet-streck")
    reference = None
    if hm_value is not None:
        hc, _hm, hls = STYLE["huvudman"]
        ax.axvline(hm_value, color=hc, linestyle=hls, linewidth=1.5, zorder=4, gid="serie-huvudman")
        reference = (ctx.huvudman_namn, hc, hls)
    _finish_strip(
        fig,
        ax,
        ind,
        ind.kort or ind.label,
        _legend_handles(
            ctx, skolform, ctx.label("figur", "vald_enhet", enhet=name) if highlight else "", reference
        ),
    )
    svg = render_svg(fig)

    # the quartiles and the unit's place come from the indicator layer (fordelning, placeringar)
    q, antal = ctx.distribution(skolform=skolform, lasar=lasar, indikator=ind.id)
    fill = dict(
        indikator=ind.label,
        lasar_text=ctx.lasar_text(lasar),
        enhet=name,
        antal=antal,
        q1=ctx.fmt(ind, q["p25"]),
        q3=ctx.fmt(ind, q["p75"]),
        **ctx.words(skolform),
    )
    if not highlight:
        alt = ctx.label(
            "figur", "fordelning_alt", lagst=ctx.fmt(ind, q["lagst"]), hogst=ctx.fmt(ind, q["hogst"]), **fill
        )
    elif not mine.empty:
        v = float(mine["varde"].iloc[0])
        plats = ctx.place(skolform=skolform, lasar=lasar, indikator=ind.id, skolenhetskod=highlight)
        alt = ctx.label("figur", "position_alt", varde=ctx.fmt(ind, v), plats=plats, **fill)
    else:
        alt = ctx.label("figur", "position_alt_utan_varde", **fill)
    if hm_value is not None:
        alt += " " + ctx.label("figur", "position_alt_huvudman", huvudman=ctx.fmt(ind, hm_value))

    own = sel[sel["skolenhetskod"] == highlight] if highlight else sel.iloc[0:0]
    rows = [[name, value_html(rec, ind, notes), interval_html(rec, ind)] for rec in own.to_dict("records")]
    for rec in hm.to_dict("records"):
        rows.append([ctx.huvudman_namn, value_html(rec, ind, notes), interval_html(rec, ind)])
    suffix = " %" if ind.enhet == "procent" else ""
    rows += _distribution_rows(
        ctx,
        q,
        antal,
        decimals=ind.decimaler,
        suffix=suffix,
        indikator=ind.id,
        lasar=str(lasar),
        skolform=skolform,
    )
    caption = ctx.label(
        "figur",
        "position_caption" if highlight else "fordelning_caption",
        indikator=ind.label,
        lasar_text=ctx.lasar_text(lasar),
        enhet=name,
        antal=antal,
        **ctx.words(skolform),
    )
    table = html_table(
        caption=caption,
        columns=[
            ctx.label("figur", "fordelning_rubrik"),
            ctx.label("tabell", "varde"),
            ctx.label("tabell", "intervall"),
        ],
        rows=rows,
    )
    return FigureView(fig_id, svg, alt, caption, table, ctx.label("figur", "visa_data"))


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


_VA_SHAPES = {"over": ("^", "#009E73"), "under": ("v", "#D55E00"), "som_forvantat": ("o", "#0072B2")}


def _va_cells(ctx: PageContext, rec: dict, lasar: int) -> list:
    base = {"data-kalla": "va_enheter", "data-skolenhetskod": rec["skolenhetskod"], "data-lasar": str(lasar)}
    cells = [rec["namn"]]
    for col in ("residual", "ki_lag", "ki_hog"):
        a = {**base, "data-kolumn": col, "data-varde": exact(rec[col])}
        cells.append(M.tal(a, format_number(rec[col], 1)))
    cells.append(ctx.label("figur", "va_bedomning", rec["bed"]))
    return cells


def _va_result(
    ctx: PageContext, fig_id: str, svg: bytes, alt: str, caption: str, first_column: str, rows: list
) -> Figure:
    """A value-added figure with its data table (residual, interval, assessment)."""
    columns = [first_column] + [
        ctx.label("figur", key) for key in ("va_axel", "va_lag", "va_hog", "va_bedomning_kolumn")
    ]
    table = html_table(caption=caption, columns=columns, rows=rows)
    return FigureView(fig_id, svg, alt, caption, table, ctx.label("figur", "visa_data"))


def _va_position_figure(
    ctx: PageContext, *, records: list[dict], skolform: str, lasar: int, fig_id: str, highlight: str
) -> Figure:
    """The unit's value added among all the school form's units, in one row (for many units);
    without ``highlight`` (the overview) the distribution, with every unit in the data table."""
    name = ctx.unit_name(skolform, highlight) if highlight else ctx.huvudman_namn
    mine = [r for r in records if r["skolenhetskod"] == highlight]
    others = [float(r["residual"]) for r in records if r["skolenhetskod"] != highlight]
    fig, ax = _strip_axes(others)
    ax.axvline(0, color="#000000", linewidth=1, linestyle="-", zorder=4, gid="serie-noll")
    colour = STYLE["enhet"][0]
    for rec in mine:
        marker, colour = _VA_SHAPES[rec["bed"]]
        bars = ax.errorbar(
            [rec["residual"]],
            [0],
            xerr=[[max(rec["residual"] - rec["ki_lag"], 0)], [max(rec["ki_hog"] - rec["residual"], 0)]],
            fmt=marker,
            markersize=11,
            color=colour,
            ecolor=colour,
            capsize=4,
            zorder=5,
        )
        _va_gids(bars, "serie-enhet")
    handles = _legend_handles(
        ctx, skolform, ctx.label("figur", "vald_enhet", enhet=name) if highlight else "", None
    )
    if mine:
        handles[0].set_marker(_VA_SHAPES[mine[0]["bed"]][0])
        handles[0].set_color(_VA_SHAPES[mine[0]["bed"]][1])
    _finish_strip(fig, ax, None, ctx.label("figur", "va_axel"), handles)
    svg = render_svg(fig)

    counts = {k: sum(r["bed"] == k for r in records) for k in _VA_SHAPES}
    fill = dict(
        lasar_text=ctx.lasar_text(lasar),
        enhet=name,
        antal=len(records),
        over=counts["over"],
        under=counts["under"],
        som=counts["som_forvantat"],
        **ctx.words(skolform),
    )
    if not highlight:
        alt = ctx.label("figur", "va_alt", **fill)
    elif mine:
        alt = ctx.label(
            "figur",
            "va_position_alt",
            bedomning=lower_first(ctx.label("figur", "va_bedomning", mine[0]["bed"])),
            residual=format_number(mine[0]["residual"], 1, sign=True),
            **fill,
        )
    else:
        alt = ctx.label("figur", "va_position_alt_utan_varde", **fill)
    listed = mine if highlight else sorted(records, key=lambda r: (r["namn"], r["skolenhetskod"]))
    rows = [_va_cells(ctx, rec, lasar) for rec in listed]
    q, _antal = ctx.distribution(
        skolform=skolform, lasar=lasar, indikator="foradlingsvarde_residual", kalla="va_enheter"
    )
    key = {"indikator": "foradlingsvarde_residual", "lasar": str(lasar), "skolform": skolform}
    words = ctx.words(skolform)
    for k, v in q.items():
        rows.append(
            [
                ctx.label("figur", "fordelning", k, **words),
                _derived_html(v, 1, "", kolumn=k, **key),
                "–",
                "–",
                "–",
            ]
        )
    rows.append(
        [
            ctx.label("figur", "fordelning", "antal", **words),
            _derived_html(len(records), 0, "", kolumn="antal_enheter", **key),
            "–",
            "–",
            "–",
        ]
    )
    caption = ctx.label(
        "figur",
        "va_position_caption" if highlight else "va_fordelning_caption",
        lasar_text=ctx.lasar_text(lasar),
        enhet=name,
        antal=len(records),
        **ctx.words(skolform),
    )
    return _va_result(ctx, fig_id, svg, alt, caption, ctx.label("figur", "fordelning_rubrik"), rows)


def _va_gids(bars, point_gid: str) -> None:
    """Series ids of a value-added point and its interval (read by the figure checks)."""
    bars.lines[0].set_gid(point_gid)
    for coll in bars.lines[2]:
        coll.set_gid("serie-intervall")


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
    codes = ctx.own_unit_codes(skolform)
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
    if _one_row(ctx, highlight, len(records)):
        return _va_position_figure(
            ctx, records=records, skolform=skolform, lasar=lasar, fig_id=fig_id, highlight=highlight
        )

    fig, ax = _new_figure(height=max(2.6, 0.55 * len(records) + 1.3))
    shapes = _VA_SHAPES
    for i, rec in enumerate(records):
        marker, colour = shapes[rec["bed"]]
        bars = ax.errorbar(
            [rec["residual"]],
            [i],
            xerr=[[max(rec["residual"] - rec["ki_lag"], 0)], [max(rec["ki_hog"] - rec["residual"], 0)]],
            fmt=marker,
            color=colour,
            ecolor=colour,
            capsize=3,
            markersize=8 if rec["skolenhetskod"] == highlight else 6,
        )
        _va_gids(bars, "serie-enheter")
    ax.axvline(0, color="#000000", linewidth=1, linestyle="-", gid="serie-noll")
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
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    _set_value_axis(ax.xaxis, None)
    ax.set_xlabel(ctx.label("figur", "va_axel"))
    ax.set_ylim(-0.6, len(records) - 0.4)
    _adjust_rows(fig, ax, legend_rows=2)
    svg = render_svg(fig)

    counts = {k: sum(r["bed"] == k for r in records) for k in shapes}
    alt = ctx.label(
        "figur",
        "va_alt",
        lasar_text=ctx.lasar_text(lasar),
        over=counts["over"],
        under=counts["under"],
        som=counts["som_forvantat"],
        **ctx.words(skolform),
    )
    rows = [
        _va_cells(ctx, rec, lasar) for rec in sorted(records, key=lambda r: (r["namn"], r["skolenhetskod"]))
    ]
    words = ctx.words(skolform)
    caption = ctx.label("figur", "va_caption", lasar_text=ctx.lasar_text(lasar), **words)
    return _va_result(ctx, fig_id, svg, alt, caption, ctx.label("tabell", "enhet", **words), rows)


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

    # one row per läsår that has a value (a single year is one row, not five labels on top of
    # each other)
    shown_years = [
        y for y in years if any(y in set(f.dropna(subset=["varde"])["lasar"]) for f in groups.values())
    ]
    fig, ax = _new_figure(height=max(2.2, 0.5 * len(shown_years) + 1.5))
    for g, frame in groups.items():
        s = frame.dropna(subset=["varde"])
        if s.empty:
            continue
        colour, marker, _ = STYLE[g]
        ax.plot(
            s["varde"],
            s["lasar"],
            marker=marker,
            color=colour,
            linestyle="none",
            markersize=8,
            label=ctx.group_label(g),
            gid=f"serie-{g}",
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
            gid="serie-skillnad",
        )
    ax.set_yticks(shown_years)
    ax.set_yticklabels([ctx.lasar_text(y) for y in shown_years])
    ax.set_ylim(shown_years[-1] + 0.6, shown_years[0] - 0.6)  # inverted: the first year on top
    _set_value_axis(ax.xaxis, ind)
    ax.set_xlabel(ind.kort or ind.label)
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    height = fig.get_figheight()
    fig.subplots_adjust(
        left=0.15, right=0.97, bottom=min(0.4, 0.75 / height), top=1 - min(0.3, 0.55 / height)
    )
    _mark_axis_break(ax)
    svg = render_svg(fig)

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
    by_year = {g: _by_year(frame) for g, frame in groups.items()}
    rows = []
    for y in years:
        cells = [ctx.lasar_text(y)]
        for g in ("flickor", "pojkar"):
            hit = by_year[g].get(y)
            cells.append(value_html(hit, ind, notes) if hit is not None else "–")
        rows.append(cells)
    drawn = [g for g in ("flickor", "pojkar") if not groups[g].dropna(subset=["varde"]).empty]
    caption = ctx.label(
        "figur",
        "gap_caption" if len(drawn) == 2 else "gap_caption_en_grupp",
        indikator=ind.label,
        enhet=name,
        grupp=lower_first(ctx.group_label(drawn[0])),
    )
    table = html_table(
        caption=caption,
        columns=[ctx.label("tabell", "lasar"), ctx.group_label("flickor"), ctx.group_label("pojkar")],
        rows=rows,
    )
    return FigureView(fig_id, svg, alt.strip(), caption, table, ctx.label("figur", "visa_data"))
