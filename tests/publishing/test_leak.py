"""The leak scanner finds planted leaks in every published file type, and nothing in a clean site."""

from __future__ import annotations

import io
import json
from pathlib import Path

import nbformat
import pytest
import xlsxwriter

from pipeline.errors import PrivacyLeakError
from pipeline.publishing.leak import Leak, assert_no_leaks, find_personnummer, luhn_ok, scan_published


def with_check_digit(nine: str) -> str:
    """Append the Luhn check digit to YYMMDDNNN."""
    for c in "0123456789":
        if luhn_ok(nine + c):
            return nine + c
    raise AssertionError


PNR10 = with_check_digit("850312123")  # 850312-123C
PNR_DASH = f"{PNR10[:6]}-{PNR10[6:]}"
PNR12 = "19" + PNR10
ELEV_ID = "a3f9c2d1e8b7a6f5"
NAMES = {"Anna Svensson", "Mohammed", "Ek", "Lind"}


def pdf_with_text(text: str) -> bytes:
    """A minimal one-page PDF with ``text`` in Helvetica."""
    stream = f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET".encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def xlsx_with(cells: list) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("indikatorer")
    for r, v in enumerate(cells):
        ws.write(r, 0, v)
    wb.close()
    return buf.getvalue()


def notebook_with(source: str, output: str) -> str:
    nb = nbformat.v4.new_notebook()
    c = nbformat.v4.new_code_cell(source)
    c.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": output, "image/png": "iVBORw0KGgo" + "1" * 40}
        )
    ]
    nb.cells.append(c)
    return nbformat.writes(nb)


def scan(tmp_path: Path, name: str, content: bytes | str) -> list[Leak]:
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return scan_published(
        p, forbidden_names=NAMES, forbidden_ids={ELEV_ID}, allowed_names={"Ekskolan", "Lindskolan"}
    )


# --------------------------------------------------------------------------- planted leaks


@pytest.mark.parametrize(
    "name, content, kind, location",
    [
        ("a.html", f"<p>ok</p>\n<td>{PNR_DASH}</td>", "personnummer", "line 2"),
        ("b.html", f"<p data-x='{PNR12}'>", "personnummer", "line 1"),
        ("c.html", "<p>Eleven Anna&nbsp;Svensson fick F.</p>", "namn", "line 1"),
        ("d.html", f"<td>{ELEV_ID}</td>", "elev_id", "line 1"),
        ("e.csv", f"lasar,enhet\n2024,{PNR10}\n", "personnummer", "line 2"),
        ("f.csv", "lasar,enhet\n2024,mohammed\n", "namn", "line 2"),
        ("g.qmd", f"# x\n\n{PNR10[:6]}+{PNR10[6:]}\n", "personnummer", "line 3"),
        ("h.pdf", pdf_with_text(f"Elev {PNR_DASH}"), "personnummer", "page 1"),
        ("i.pdf", pdf_with_text("Anna Svensson"), "namn", "page 1"),
        (
            "j.xlsx",
            xlsx_with(["enhet", "Björkskolan", PNR_DASH]),
            "personnummer",
            "sheet 'indikatorer' cell A3",
        ),
        ("k.xlsx", xlsx_with(["enhet", ELEV_ID]), "elev_id", "sheet 'indikatorer' cell A2"),
        ("l.xlsx", xlsx_with(["enhet", int(PNR12)]), "personnummer", "sheet 'indikatorer' cell A2"),
        ("m.ipynb", notebook_with("x = 1", f"<td>{PNR_DASH}</td>"), "personnummer", "cell 0 output 0 line 1"),
        ("n.ipynb", notebook_with(f"elev = '{ELEV_ID}'", "<p>ok</p>"), "elev_id", "cell 0 source line 1"),
        ("o.ipynb", notebook_with("x = 1", "<p>Mohammed</p>"), "namn", "cell 0 output 0 line 1"),
    ],
)
def test_planted_leak_is_found(tmp_path, name, content, kind, location):
    leaks = scan(tmp_path, name, content)
    assert [(lk.kind, lk.location) for lk in leaks] == [(kind, location)]
    assert leaks[0].file == tmp_path / name


# --------------------------------------------------------------------------- no false hits


@pytest.mark.parametrize(
    "text",
    [
        "<td>99990011</td><td>Skolenhetskod 12345678</td>",  # skolenhetskoder: 8 digits
        "sha256 0123456789abcdef0123456789abcdef8503121234",  # digits inside a hash
        "<img src='data:image/png;base64,AAAA8503121236BBBB/8503121236+1234'>",  # base64
        "varde 231.8503121236",  # decimal part of a number
        "2023-2024, 2019-01-01, 0.3",
        "Ekskolan, Lindskolan, en ek och en lind",  # short and common words, allowed unit names
        "8503121235",  # ten digits, valid date, bad Luhn
        "851312-1234",  # month 13
    ],
)
def test_no_false_hit(tmp_path, text):
    assert scan(tmp_path, "x.html", text) == []


def test_samordningsnummer_is_found():
    samn = with_check_digit("850372123")  # day 12 + 60
    assert [m for _, m in find_personnummer(f"x {samn} y")] == [samn]


def test_clean_site_has_no_leaks(tmp_path):
    from pipeline.publishing.site import render_site
    from tests.publishing.test_site_standin import make_book

    book, ind = make_book(tmp_path)
    render_site(book, tmp_path / "site", indikatorer=ind)
    skipped: list = []
    leaks = scan_published(
        [tmp_path / "site", tmp_path / "notebooks"],
        forbidden_names={"Anna Svensson", "Mohammed Ali"},
        forbidden_ids={ELEV_ID},
        allowed_names={u.enhet for ch in book.chapters for u in ch.units},
        skipped=skipped,
    )
    assert leaks == []
    assert skipped == []


def test_assert_no_leaks_masks_personnummer(tmp_path):
    leaks = scan(tmp_path, "a.html", f"<td>{PNR_DASH}</td>")
    with pytest.raises(PrivacyLeakError) as exc:
        assert_no_leaks(leaks)
    msg = str(exc.value)
    assert "a.html, line 1: personnummer" in msg and PNR_DASH not in msg and "Nothing was published" in msg
    assert_no_leaks([])


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        scan_published(tmp_path / "nope")


def test_binary_files_are_reported_as_skipped(tmp_path):
    (tmp_path / "bild.png").write_bytes(b"\x89PNG....")
    skipped: list = []
    assert scan_published(tmp_path, skipped=skipped) == []
    assert skipped == [tmp_path / "bild.png"]


def test_json_outputs_are_scanned(tmp_path):
    nb = json.loads(notebook_with("x = 1", "<p>ok</p>"))
    nb["cells"][0]["outputs"].append({"output_type": "stream", "name": "stdout", "text": [f"{PNR10}\n"]})
    leaks = scan(tmp_path, "p.ipynb", json.dumps(nb))
    assert [(lk.kind, lk.location) for lk in leaks] == [("personnummer", "cell 0 output 1 line 1")]
