"""Nothing injected runs or links out: written analyses and unit names carrying payloads.

A written analysis (``params/analyser/``) is Markdown typed by people; a unit name comes from an
export. Neither may put script, a ``javascript:``/``data:``/``vbscript:`` link (also written with
HTML entities, which the browser decodes before it looks at the scheme), a live link to another
site or an external image into the site, the Quarto book or the PDF, nor a formula into the
CSV/XLSX downloads (OWASP's CSV-injection advice: a cell starting with ``=``, ``+``, ``-``, ``@``,
tab or CR gets a leading ``'``).
"""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from pipeline.publishing import publish
from pipeline.publishing.analyses import decoded_href, render_markdown
from pipeline.publishing.downloads import csv_bytes, neutralise_formula, prepare_indicator_table, xlsx_bytes
from tests.publishing.fakedata import forandringar_frame, indikatorer_frame
from tests.publishing.test_site_standin import BJORK, LASAR, make_jobs, make_params, make_va

#: (id, Markdown, the scheme or host that must never be a live link).
LINK_PAYLOADS = [
    ("js-colon-entity", "[a](javascript&colon;alert(1))", "javascript"),
    ("js-decimal-entity", "[b](javascript&#58;alert(1))", "javascript"),
    ("js-hex-entity", "[c](javascript&#x3a;alert(1))", "javascript"),
    ("js-hex-entity-upper", "[c2](javascript&#X3A;alert(1))", "javascript"),
    ("js-mixed-case", "[d](JaVaScRiPt:alert(1))", "javascript"),
    ("js-entity-in-name", "[e](java&#x73;cript:alert(1))", "javascript"),
    ("js-tab-inside", "[f](java&#x09;script:alert(1))", "javascript"),
    ("js-double-encoded", "[g](javascript&amp;#58;alert(1))", "javascript"),
    ("js-percent", "[h](javascript%3Aalert(1))", "javascript"),
    ("js-reference", "[i][r]\n\n[r]: javascript&#x3a;alert(1)", "javascript"),
    ("data-url", "[j](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "data"),
    ("data-entity", "[k](data&colon;text/html,<script>alert(1)</script>)", "data"),
    ("vbscript-entity", "[l](vbscript&#x3A;msgbox(1))", "vbscript"),
    ("external-https", "[Skolverket](https://extern.example/sida)", "extern.example"),
    ("external-autolink", "<https://extern2.example/a>", "extern2.example"),
    ("external-protocol-relative", "[m](//extern3.example/x)", "extern3.example"),
    ("external-mailto", "[skriv](mailto:rektor@extern4.example)", "extern4.example"),
]

OTHER_PAYLOADS = [
    ("script-tag", "<script>alert(1)</script>"),
    ("img-onerror", '<img src="x" onerror="alert(1)">'),
    ("external-image", "![bild](https://bilder.example/spion.png)"),
    ("external-image-reference", "![bild][b]\n\n[b]: https://bilder.example/spion2.png"),
    ("iframe", '<iframe src="https://extern.example"></iframe>'),
    ("svg-onload", "<svg onload=alert(1)>"),
]

_BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript|file)\s*:", re.IGNORECASE)


def _live_links(markup: str) -> list[str]:
    """Every href/src/action in ``markup``, decoded as a browser would."""
    soup = BeautifulSoup(markup, "html.parser")
    out = []
    for tag in soup.find_all(True):
        for attr in ("href", "src", "action", "formaction", "xlink:href"):
            if tag.get(attr) is not None:
                out.append(decoded_href(str(tag.get(attr))))
    return out


def _assert_safe(markup: str, *, hosts: tuple[str, ...] = ()) -> None:
    soup = BeautifulSoup(markup, "html.parser")
    assert not soup.find_all(["script", "iframe", "object", "embed", "svg"]), markup
    assert not any(k.startswith("on") for t in soup.find_all(True) for k in t.attrs), markup
    for url in _live_links(markup):
        assert not _BAD_SCHEME.match(url), f"live link {url!r} in {markup}"
        assert not any(h in url for h in hosts), f"live link to another site {url!r} in {markup}"


@pytest.mark.parametrize("payload,never", [pytest.param(p, n, id=i) for i, p, n in LINK_PAYLOADS])
def test_link_payload_is_not_live(payload: str, never: str) -> None:
    out = render_markdown(f"Se {payload} här.")
    _assert_safe(out, hosts=(never,))
    assert all(not u.lower().startswith(never) and never not in u for u in _live_links(out)), out
    if never.endswith(".example"):
        # an external link stays readable: its text and its address, as text
        assert never in BeautifulSoup(out, "html.parser").get_text(), out


@pytest.mark.parametrize("payload", [pytest.param(p, id=i) for i, p in OTHER_PAYLOADS])
def test_markup_payload_is_text(payload: str) -> None:
    out = render_markdown(payload)
    _assert_safe(out, hosts=("example",))
    assert "<img" not in out


def test_links_within_the_page_stay_live() -> None:
    # a fragment link is the one kind an analysis may keep (e.g. to a figure on the same page)
    assert render_markdown("[se figuren](#s-kunskap)") == '<p><a href="#s-kunskap">se figuren</a></p>'


def test_external_link_shows_text_and_address() -> None:
    out = render_markdown("Se [Skolverkets statistik](https://www.skolverket.se/statistik).")
    text = BeautifulSoup(out, "html.parser").get_text()
    assert text == "Se Skolverkets statistik (https://www.skolverket.se/statistik)."
    assert "<a" not in out


# ----------------------------------------------------------------- downloads (CSV injection)

FORMULAS = ['=HYPERLINK("http://x.example","klicka")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_cells_are_neutralised(text: str) -> None:
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["Björkskolan", "Skola 1-3", "'citerad", "", "12"])
def test_plain_text_is_unchanged(text: str) -> None:
    assert neutralise_formula(text) == text


def _formula_frame():
    ind = indikatorer_frame()
    names = sorted(set(ind.loc[ind["skolenhetskod"].astype(str) != "", "enhet"]))
    swap = dict(zip(names, FORMULAS, strict=False))
    ind["enhet"] = ind["enhet"].map(lambda n: swap.get(n, n))
    return ind, swap


def _check_csv(data: bytes, swap: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    enheter = {r["enhet"] for r in rows}
    for payload in swap.values():
        # a CR inside a CSV cell is written as a (quoted) line feed: a bare CR would split the row
        assert "'" + payload.replace("\r", "\n") in enheter
        assert payload not in enheter
    for r in rows:
        for col, v in r.items():
            if col not in ("varde", "ki_lag", "ki_hog", "antal", "lasar") and v:
                assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), (col, v)


def _check_xlsx(data: bytes, swap: dict[str, str]) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["indikatorer"]
    # openpyxl leaves the xlsx escape of a CR (_x000D_) as it is; Excel reads it as a CR
    texts = [
        c.value.replace("_x000D_", "\r")
        for row in ws.iter_rows(min_row=2)
        for c in row
        if isinstance(c.value, str)
    ]
    assert all(not t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    for payload in swap.values():
        assert "'" + payload in texts
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_downloads_neutralise_formulas_in_unit_names() -> None:
    ind, swap = _formula_frame()
    assert len(swap) >= 4
    df = prepare_indicator_table(ind, lasar=LASAR)
    _check_csv(csv_bytes(df), swap)
    _check_xlsx(xlsx_bytes(df), swap)


# ------------------------------------------------------------- the published site and Quarto

ALL_MARKDOWN = (
    "\n\n".join(p for _, p, _ in LINK_PAYLOADS) + "\n\n" + "\n\n".join(p for _, p in OTHER_PAYLOADS)
)
HOSTS = ("extern.example", "extern2.example", "extern3.example", "extern4.example", "bilder.example")


def _publish(tmp: Path, *, pdf: bool) -> Path:
    ind, swap = _formula_frame()
    jobs = make_jobs(tmp / "report" / "notebooks")
    job = next(j for j in jobs if j.skolenhetskod == BJORK)
    nb = nbformat.read(job.path, as_version=4)
    analysis = (
        '<section aria-labelledby="s-injektion"><h2 id="s-injektion">Analys</h2>'
        f'<div class="analys-text">{render_markdown(ALL_MARKDOWN)}</div></section>'
    )
    nb.cells.append(nbformat.v4.new_code_cell("page.analys()", execution_count=99))
    nb.cells[-1].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": analysis, "text/plain": "<Section>"},
            # the report's own outputs carry this metadata (pipeline.publishing.views.META)
            metadata={"kvalitet": {"del": "text", "sektion": "analys"}},
        )
    ]
    nbformat.write(nb, job.path)
    publish(
        lasar=LASAR,
        params=make_params(),
        indikatorer=ind,
        jobs=jobs,
        out_dir=tmp / "report",
        provenance={"code_version": "abc123"},
        forandringar=forandringar_frame(ind),
        va_modell=make_va(),
        pdf=pdf,
    )
    return tmp / "report"


def test_site_quarto_and_downloads_carry_no_live_payload(tmp_path: Path) -> None:
    out = _publish(tmp_path, pdf=False)
    page = out / "site" / "grundskola" / f"{BJORK}.html"
    text = page.read_text(encoding="utf-8")
    assert "s-injektion" in text  # the analysis was published on the unit's page
    assert "https://extern.example/sida" in html.unescape(BeautifulSoup(text, "html.parser").get_text())
    checked = 0
    for f in sorted((out / "site").rglob("*.html")) + sorted((out / "quarto").rglob("*")):
        if f.suffix not in (".html", ".qmd", ".md", ".ipynb"):
            continue
        body = f.read_text(encoding="utf-8")
        if f.suffix == ".ipynb":
            nb = nbformat.reads(body, as_version=4)
            body = "".join(
                str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", [])
            ) + "".join(c.source for c in nb.cells if c.cell_type == "markdown")
        _assert_safe_page(body, f)
        checked += 1
    assert checked >= 5
    quarto = "".join(
        p.read_text(encoding="utf-8")
        for p in sorted((out / "quarto").rglob("*"))
        if p.suffix in (".qmd", ".ipynb")
    )
    assert "extern.example/sida" in quarto  # the analysis reached the Quarto book, as text
    _, swap = _formula_frame()
    for folder in (out / "site" / "data", out / "quarto" / "data"):
        _check_csv((folder / "indikatorer.csv").read_bytes(), swap)
        _check_xlsx((folder / "indikatorer.xlsx").read_bytes(), swap)


def _assert_safe_page(body: str, where: Path) -> None:
    soup = BeautifulSoup(body, "html.parser")
    for tag in soup.find_all(["iframe", "object", "embed"]):
        raise AssertionError(f"{where}: {tag}")
    for script in soup.find_all("script"):
        assert "alert(1)" not in script.get_text(), where
    for url in _live_links(body):
        assert not _BAD_SCHEME.match(url) or url.startswith("data:image/"), f"{where}: live link {url!r}"
        assert not any(h in url for h in HOSTS), f"{where}: live link to another site {url!r}"


@pytest.mark.browser
def test_pdf_has_no_link_out(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    import subprocess

    from pypdf import PdfReader

    out = _publish(tmp_path, pdf=True)
    pdfs = [out / f"kvalitetsrapport-{LASAR}.pdf", out / "enheter" / f"{BJORK}.pdf"]
    for pdf in pdfs:
        uris = []
        for page in PdfReader(pdf).pages:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A") or {}
                if "/URI" in action:
                    uris.append(str(action["/URI"]))
        assert not [u for u in uris if _BAD_SCHEME.match(u) or any(h in u for h in HOSTS)], (pdf, uris)
    text = subprocess.run(["pdftotext", str(pdfs[1]), "-"], capture_output=True, text=True, check=True).stdout
    assert "extern.example/sida" in text.replace("\n", "")
