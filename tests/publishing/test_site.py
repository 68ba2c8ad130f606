"""The book manifest and the nbconvert site, built from stand-in executed notebooks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.publishing.book import NotebookJob, build_book
from pipeline.publishing.site import render_site
from tests.publishing.test_site_standin import (
    BJORK,
    EVIL,
    EVIL_CODE,
    FAILED,
    LASAR,
    LIND,
    SOL,
    make_book,
    make_jobs,
    make_params,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    book, ind = make_book(tmp)
    files = render_site(book, tmp / "site", indikatorer=ind, pdf_href="data/kvalitetsrapport-2024.pdf")
    return book, ind, tmp / "site", files


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


class Outline(HTMLParser):
    """Collects tags, attributes and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Outline:
    o = Outline()
    o.feed(path.read_text(encoding="utf-8"))
    return o


# --------------------------------------------------------------------------- book


def test_book_order_and_pages(tmp_path):
    book, _ = make_book(tmp_path)
    hrefs = [p.href for p in book.pages()]
    assert hrefs[0] == "index.html" and hrefs[-1] == "metod.html"
    assert hrefs[1:3] == ["forskola/index.html", f"forskola/{SOL}.html"]  # FS before GR (registry order)
    gr = next(ch for ch in book.chapters if ch.skolform == "GR")
    assert [u.enhet for u in gr.units] == sorted((u.enhet for u in gr.units), key=str.casefold)
    assert [p.skolenhetskod for p in book.failed_pages] == [FAILED[1]]
    prev, nxt = book.neighbours(gr.overview)
    assert prev.href == f"forskola/{SOL}.html" and nxt == gr.units[0]


def test_book_method_appendix(tmp_path):
    book, _ = make_book(tmp_path)
    m = book.method
    assert m.undertryck_min_antal == 10
    ids = {d.id for d in m.definitions}
    assert "meritvarde_17" in ids and "barn_per_arsarbetare" in ids
    assert "examen_3ar" not in ids  # GY is not in this book
    # one row per term in the model's order, worded, coefficient and standard error with two
    # decimals; the stand-in model has no p-value, so "Statistiskt säkerställd" is "–"
    assert m.va_model is not None
    flicka = next(r for r in m.va_model.rows if r[1] == "Flicka")
    assert flicka[2:5] == ("12,25", "0,75", "–")
    assert [r[1] for r in m.va_model.rows] == ["Konstant", "Flicka"]
    assert ("params_hash", "f" * 64) in m.provenance
    assert ("input_hashes / data/raw/betyg.csv", "0" * 64) in m.provenance


def test_book_key_figures_come_from_the_indicator_table(tmp_path):
    book, ind = make_book(tmp_path)
    by_form = {k.skolform: k for k in book.key_figures}
    assert set(by_form) == {"FS", "GR"}
    k = by_form["GR"]
    assert k.indikator == "meritvarde_17"
    row = ind[
        (ind.lasar == LASAR)
        & (ind.skolform == "GR")
        & (ind.niva == "huvudman")
        & (ind.indikator == "meritvarde_17")
        & (ind.grupp == "samtliga")
    ]
    prev = ind[
        (ind.lasar == LASAR - 1)
        & (ind.skolform == "GR")
        & (ind.niva == "huvudman")
        & (ind.indikator == "meritvarde_17")
        & (ind.grupp == "samtliga")
    ]
    assert k.varde == pytest.approx(float(row.varde.iloc[0]))
    assert k.forandring == pytest.approx(float(row.varde.iloc[0]) - float(prev.varde.iloc[0]))
    assert k.signifikant is not None


def test_book_rejects_duplicate_jobs(tmp_path):
    jobs = make_jobs(tmp_path)
    with pytest.raises(ConfigError, match="Two notebook jobs"):
        build_book(lasar=LASAR, params=make_params(), jobs=[*jobs, jobs[1]])


def test_book_takes_typed_job_results_and_rejects_dicts(tmp_path):
    from pipeline.execution import JobResult

    failed = JobResult(
        "GR/huvudman/2024", "failed", 1.5, "h1", tmp_path / "h.ipynb", error="ValueError: boom"
    )
    cached = JobResult(f"GR/{BJORK}/2024", "cached", 0.0, "h2", tmp_path / "x.ipynb")
    jobs = [
        NotebookJob.from_result(failed, skolform="GR", skolenhetskod="", enhet="", path=None),
        NotebookJob.from_result(
            cached, skolform="GR", skolenhetskod=f"{BJORK}", enhet="Björkskolan", path=tmp_path / "x.ipynb"
        ),
    ]
    assert jobs[0].failed and jobs[0].error == "ValueError: boom" and jobs[0].seconds == 1.5
    assert not jobs[1].failed and jobs[1].status == "cached"
    book = build_book(lasar=LASAR, params=make_params(), jobs=jobs)
    (ch,) = book.chapters
    assert ch.overview.failed and ch.overview.notebook is None
    assert not ch.units[0].failed and ch.units[0].notebook == tmp_path / "x.ipynb"
    with pytest.raises(TypeError, match="NotebookJob"):
        build_book(lasar=LASAR, params=make_params(), jobs=[{"skolform": "GR", "skolenhetskod": ""}])


def test_labels_override_titles(tmp_path):
    params = make_params(
        {"publicering": {"rapport_titel": "Årsrapport {lasar}", "metod_titel": "Metodbilaga"}}
    )
    book = build_book(lasar=LASAR, params=params, jobs=make_jobs(tmp_path))
    assert book.title == "Årsrapport 2024" and book.method_page.title == "Metodbilaga"


# --------------------------------------------------------------------------- site


def test_site_layout(built):
    book, _, site, files = built
    expected = {p.href for p in book.pages()} | {
        "static/rapport.css",
        "data/indikatorer.csv",
        "data/indikatorer.xlsx",
    }
    assert {f.relative_to(site).as_posix() for f in files} == expected


@pytest.mark.parametrize(
    "rel",
    [
        "index.html",
        "grundskola/index.html",
        f"grundskola/{BJORK}.html",
        f"grundskola/{LIND}.html",
        "metod.html",
    ],
)
def test_page_structure(built, rel):
    _, _, site, _ = built
    text = (site / rel).read_text(encoding="utf-8")
    assert text.startswith('<!DOCTYPE html>\n<html lang="sv">')
    o = parse(site / rel)
    tags = [t for t, _ in o.tags]
    assert tags.count("h1") == 1
    assert tags.count("main") == 1 and ("main", {"id": "innehall", "tabindex": "-1"}) in o.tags
    first_link = next(a for t, a in o.tags if t == "a")
    assert first_link == {"class": "skiplank", "href": "#innehall"}
    labels = [a.get("aria-label") or a.get("aria-labelledby") for t, a in o.tags if t == "nav"]
    assert len(labels) == len(set(labels)) and all(labels)
    hrefs = [a["href"] for t, a in o.tags if t == "a"]
    assert any(h.endswith("data/indikatorer.csv") for h in hrefs)
    assert any(h.endswith("data/indikatorer.xlsx") for h in hrefs)
    assert any(h.endswith("metod.html") for h in hrefs)
    assert "header" in tags and "footer" in tags


def test_every_link_is_relative_and_resolves(built):
    _, _, site, _ = built
    for page in pages(site):
        o = parse(page)
        for _tag, attrs in o.tags:
            for key in ("href", "src"):
                v = attrs.get(key)
                if (
                    v is None
                    or v.startswith("#")
                    or v.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,"))
                ):
                    continue
                assert not re.match(r"^[a-z]+:|^//|^/", v), f"{page}: {key}={v!r} is not relative"
                target = (page.parent / v.split("#")[0]).resolve()
                if v.endswith(".pdf"):
                    continue  # the PDF is copied in by publish()
                assert target.exists(), f"{page}: broken link {v!r}"
                assert site.resolve() in target.parents


def test_no_scripts_no_code_no_streams(built):
    _, _, site, _ = built
    for page in pages(site):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page
        assert "debug output 1234" not in text  # stream output
        assert "Template heading" not in text  # markdown cells
        assert "skolenhetskod = " not in text  # code input
        assert "http://" not in text and "https://" not in text


def test_unit_name_from_data_is_escaped(built):
    _, _, site, _ = built
    text = (site / f"grundskola/{EVIL_CODE}.html").read_text(encoding="utf-8")
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in text
    assert EVIL not in text
    assert EVIL not in (site / "index.html").read_text(encoding="utf-8")


def test_page_title_becomes_the_h1(built):
    _, _, site, _ = built
    text = (site / "grundskola/index.html").read_text(encoding="utf-8")
    assert "<h1>Grundskola hos Exempelkommun</h1>" in text
    assert 'class="page-title" data-title' not in text
    assert re.search(
        r'<div class="page-title"[^>]* data-skolform="GR"[^>]*><p class="page-kicker">Läsår 2023/24</p></div>',
        text,
    )
    assert (
        'data-indikator="meritvarde_17"' in text and '<figure class="diagram" id="s-kunskap-trend">' in text
    )
    assert 'alt="Meritvärdet har ökat sedan 2020 för' in text


def test_failed_unit_says_so(built):
    _, _, site, _ = built
    text = (site / f"grundskola/{LIND}.html").read_text(encoding="utf-8")
    assert "Rapporten för Lindskolan kunde inte tas fram i år." in text
    assert "KeyError" not in text  # no traceback for readers
    assert "rapporten kunde inte tas fram" in (site / "index.html").read_text(encoding="utf-8")


def test_start_page_links_every_chapter_and_unit(built):
    book, _, site, _ = built
    o = parse(site / "index.html")
    hrefs = {a["href"] for t, a in o.tags if t == "a"}
    for p in book.pages():
        assert p.href in hrefs
    text = (site / "index.html").read_text(encoding="utf-8")
    assert "Nyckeltal för Exempelkommun" in text
    assert "234,7" in text  # GR meritvarde_17 at huvudman level (see test_book_key_figures...)
    # the change is named against the läsår before (2022/23, spring year 2023), never a calendar year
    assert "poäng jämfört med läsåret 2022/23" in text
    assert not re.search(r"jämfört med 20\d\d(?!/)", text)


def test_method_page(built):
    _, _, site, _ = built
    text = (site / "metod.html").read_text(encoding="utf-8")
    for needle in (
        "färre än 10 personer",
        "Genomsnittligt meritvärde (17 ämnen)",
        "f" * 64,
        "12,25",
        "minst 15 elever",
        "95 procents",
    ):
        assert needle in text, needle


def test_breadcrumbs_and_unit_nav(built):
    _, _, site, _ = built
    o = parse(site / f"grundskola/{BJORK}.html")
    current = [a for t, a in o.tags if t == "a" and a.get("aria-current") == "page"]
    assert {a["href"] for a in current} == {f"../grundskola/{BJORK}.html"}
    assert any(t == "a" and a.get("rel") == "prev" for t, a in o.tags)
    assert any(t == "a" and a.get("rel") == "next" for t, a in o.tags)


def test_site_is_byte_identical_when_rebuilt(tmp_path):
    outs = []
    for i in range(2):
        book, ind = make_book(tmp_path / f"b{i}")
        render_site(book, tmp_path / f"s{i}", indikatorer=ind)
        outs.append(
            {
                p.relative_to(tmp_path / f"s{i}").as_posix(): p.read_bytes()
                for p in (tmp_path / f"s{i}").rglob("*")
                if p.is_file()
            }
        )
    assert outs[0] == outs[1]


def test_only_the_views_outputs_are_published():
    from pipeline.publishing.views import page_from_outputs

    outputs = [
        {"data": {"text/html": "<p>own</p>"}, "metadata": {}},  # a developer's display: not published
        {
            "data": {"text/html": "<b>t</b>"},
            "metadata": {
                "kvalitet": {
                    "del": "sidhuvud",
                    "titel": "A & B",
                    "skolform": "GR",
                    "skolenhetskod": "",
                    "lasar": 2024,
                    "kicker": "K <i>",
                }
            },
        },
        {
            "data": {"text/html": "<h2>S</h2>"},
            "metadata": {"kvalitet": {"del": "rubrik", "sektion": "s", "titel": "S <&>", "omrade": "x"}},
        },
        {"data": {"text/html": "<p>t</p>"}, "metadata": {"kvalitet": {"del": "text", "sektion": "s"}}},
    ]
    frag = page_from_outputs(outputs)
    assert frag.title == "A & B"
    assert "own" not in frag.html and "<b>t</b>" not in frag.html
    assert '<p class="page-kicker">K &lt;i&gt;</p>' in frag.html  # metadata text is escaped
    assert (
        '<section id="s" class="sektion" aria-labelledby="s-rubrik" data-sektion="s" data-omrade="x">'
        '<h2 id="s-rubrik">S &lt;&amp;&gt;</h2><p>t</p></section>' in frag.html
    )


def test_missing_notebook_is_a_clear_error(tmp_path):
    from pipeline.publishing.site import PublishingError, render_notebook_fragment

    with pytest.raises(PublishingError, match="executed notebook not found"):
        render_notebook_fragment(tmp_path / "nope.ipynb")


def test_overview_job_missing_gets_generated_failed_page(tmp_path):
    jobs = [j for j in make_jobs(tmp_path) if not (j.skolform == "FS" and j.skolenhetskod == "")]
    book = build_book(lasar=LASAR, params=make_params(), jobs=jobs)
    fs = book.chapters[0]
    assert fs.skolform == "FS" and fs.overview.notebook is None
    render_site(book, tmp_path / "site")
    assert "kunde inte tas fram" in (tmp_path / "site/forskola/index.html").read_text(encoding="utf-8")


def test_notebook_job_dataclass_defaults():
    j = NotebookJob(skolform="GR", skolenhetskod="")
    assert j.is_overview and not j.failed


def test_tables_are_wrapped_in_scrollable_regions():
    from pipeline.publishing.tables import html_table

    out = str(html_table(caption="Meritvärde <per år>", columns=["a", "b"], rows=[["x", "1"]]))
    assert out.startswith(
        '<div class="tabellbehallare" role="region" aria-label="Meritvärde &lt;per år&gt;" tabindex="0"><table'
    )
    assert out.endswith("</table></div>")
    assert 'aria-label="Tabell"' in str(html_table(caption="", columns=["a"], rows=[["x"]]))
