"""The command line: ``python -m pipeline <command>``.

Exit codes: 0 success, 1 a failed job (a notebook that could not run, a leak found),
2 bad input or configuration. Every error message says what, where and how to fix it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pipeline.errors import EXIT_BAD_INPUT, EXIT_OK, PipelineError
from pipeline.paths import ProjectPaths


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"YEAR must be a number, got {text!r}; give the spring year of the läsår, e.g. 2024 for 2023/24"
        ) from None
    if not 1990 <= year <= 2100:
        raise argparse.ArgumentTypeError(
            f"YEAR must be between 1990 and 2100, got {year}; give the spring year of the läsår, e.g. 2024 for 2023/24"
        )
    return year


def _kommun_or_all(text: str) -> str:
    """``all`` (every kommun in the files), a list ``0114,0180`` (several), or one kommunkod."""
    if text == "all":
        return text
    if "," in text:
        return ",".join(_kommun(t.strip()) for t in text.split(",") if t.strip())
    return _kommun(text)


def _kommun(text: str) -> str:
    if not (len(text) == 4 and text.isdigit()):
        hint = (
            f"write it with its leading zero: {text.zfill(4)}"
            if text.isdigit() and len(text) < 4
            else ("use the 4-digit kommunkod from SCB's list")
        )
        raise argparse.ArgumentTypeError(
            f"KOMMUN must be a 4-digit kommunkod such as 0180 or 0114, got {text!r}; {hint}"
        )
    return text


SKIP_HELP = "leave out files no reader recognises (listed, one line each, in the log) instead of exit 2"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by ``--help``)."""
    p = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Kvalitetsrapport: from raw exports to a published quality report.",
    )
    p.add_argument("--root", type=Path, default=None, help="project folder (default: the repository)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("data", help="write the demo data set (fictitious Exempelkommun) into data/raw/")
    d.add_argument("--seed", type=int, default=2024)
    d.add_argument("--units", type=int, default=None, help="scale the number of units (benchmarks)")
    d.add_argument("--out", type=Path, default=None, help="folder (default data/raw)")

    i = sub.add_parser("ingest", help="read, validate and write data/processed/")
    i.add_argument("--data", type=Path, default=None, help="raw folder (default data/raw)")
    i.add_argument("--kommun", type=_kommun, default=None)
    i.add_argument("--force", action="store_true")
    i.add_argument("--skip-unknown", action="store_true", help=SKIP_HELP)

    ind = sub.add_parser("indicators", help="compute the indicator table into data/processed/")
    ind.add_argument("--data", type=Path, default=None)
    ind.add_argument("--kommun", type=_kommun, default=None)
    ind.add_argument("--skip-unknown", action="store_true", help=SKIP_HELP)

    r = sub.add_parser("report", help="build reports/YEAR (site, PDF, downloads)")
    r.add_argument("year", type=_year, metavar="YEAR")
    r.add_argument("--data", type=Path, default=None, help="raw folder (default data/raw)")
    r.add_argument(
        "--kommun",
        type=_kommun_or_all,
        default=None,
        help="report on this municipality from public data; 'all': one report per kommun in the files "
        "(reports/YEAR/kommuner/), or a list 0114,0180",
    )
    r.add_argument(
        "--limit", type=int, default=None, help="with --kommun all: only this many kommuner, spread evenly"
    )
    r.add_argument("--force", action="store_true", help="re-execute every notebook")
    r.add_argument("--allow-failures", action="store_true", help="publish even if some units failed")
    r.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or None, help="dask scheduler address")
    r.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local worker threads (one warm kernel each) (default: all cores)",
    )
    r.add_argument("--no-pdf", action="store_true", help="skip the PDF files")
    r.add_argument(
        "--allow-empty",
        action="store_true",
        help="build even when no unit of the huvudman has values in YEAR (else exit 2 saying why)",
    )
    r.add_argument("--skip-unknown", action="store_true", help=SKIP_HELP)
    r.add_argument(
        "--period",
        default=None,
        help="build the verksamhetsanalyser of one period of params/perioder.yml (HT, VT, 1, 2, 3) "
        "into reports/YEAR/PERIOD/ instead of the full report",
    )

    v = sub.add_parser("verify", help="rebuild YEAR in a temp dir and report any difference")
    v.add_argument("year", type=_year, metavar="YEAR")
    v.add_argument("--data", type=Path, default=None)
    v.add_argument("--kommun", type=_kommun, default=None)

    a = sub.add_parser("analyses", help="write empty written-analysis templates for every unit of YEAR")
    a.add_argument("year", type=_year, metavar="YEAR")

    dl = sub.add_parser(
        "dialog",
        help="write a kvalitetsdialog template per unit (its agreed actions as development areas) "
        "and the förskolor's barnintervju templates",
    )
    dl.add_argument("year", type=_year, metavar="YEAR")
    dl.add_argument("--period", required=True, help="a period of params/perioder.yml")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = ProjectPaths(args.root) if args.root else ProjectPaths()
    try:
        return _dispatch(args, paths)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was published; the previous report is unchanged.", file=sys.stderr)
        return 130


def _report_options(args: argparse.Namespace, paths: ProjectPaths, *, jobs: bool = False) -> dict[str, Any]:
    """The options a report build (one kommun, several, a period) takes from the command line;
    with ``jobs`` also how its notebook jobs run."""
    options: dict[str, Any] = {
        "paths": paths,
        "data_dir": args.data,
        "kommun": args.kommun,
        "pdf": not args.no_pdf,
        "skip_unknown": args.skip_unknown,
    }
    if jobs:
        options.update(
            force=args.force,
            allow_failures=args.allow_failures,
            scheduler=args.scheduler,
            workers=args.workers,
        )
    return options


def _dispatch(args: argparse.Namespace, paths: ProjectPaths) -> int:
    from pipeline import report

    if args.command == "data":
        from pipeline.demo import write_demo

        out = args.out or paths.raw
        files = write_demo(out, seed=args.seed, n_units=args.units)
        print(f"Wrote the demo data set (fictitious Exempelkommun): {len(files)} files in {out}")
        return EXIT_OK
    if args.command == "ingest":
        res = report.ingest(
            paths, data_dir=args.data, kommun=args.kommun, force=args.force, skip_unknown=args.skip_unknown
        )
        print(
            f"Ingested {len(res.files)} files; tables: "
            + ", ".join(f"{k} {v}" for k, v in sorted(res.rows.items()))
        )
        return EXIT_OK
    if args.command == "indicators":
        out = report.indicators(paths, data_dir=args.data, kommun=args.kommun, skip_unknown=args.skip_unknown)
        print(f"Indicator table: {len(out['indikatorer'])} rows in {paths.indicator_table}")
        return EXIT_OK
    if args.command == "report" and args.kommun is not None and (args.kommun == "all" or "," in args.kommun):
        from pipeline.country import build_country

        country = build_country(args.year, limit=args.limit, **_report_options(args, paths, jobs=True))
        print(country.summary())
        return EXIT_OK
    if args.command == "report" and args.period:
        from pipeline.periods.report import build_period_report

        period = build_period_report(args.year, args.period, **_report_options(args, paths))
        print(period.summary())
        return EXIT_OK
    if args.command == "dialog":
        from pipeline.periods.dialog import write_dialog_templates

        written = write_dialog_templates(args.year, args.period, paths=paths)
        print(f"Wrote {len(written)} template(s):")
        for w in written:
            print(f"  {w}")
        return EXIT_OK
    if args.command == "report":
        result = report.build_report(
            args.year, allow_empty=args.allow_empty, **_report_options(args, paths, jobs=True)
        )
        print(result.summary())
        return EXIT_OK
    if args.command == "verify":
        diffs = report.verify(args.year, paths=paths, data_dir=args.data, kommun=args.kommun)
        if diffs:
            print(f"{len(diffs)} file(s) differ from a fresh rebuild:")
            for d in diffs:
                print(f"  {d}")
            return 1
        print(f"reports/{args.year} is reproduced byte for byte by a fresh rebuild.")
        return EXIT_OK
    if args.command == "analyses":
        written = report.write_analysis_templates(args.year, paths=paths)
        print(
            f"Wrote {len(written)} empty analysis template(s) in {paths.params / 'analyser' / str(args.year)}"
        )
        for w in written:
            print(f"  {w}")
        return EXIT_OK
    return EXIT_BAD_INPUT  # pragma: no cover - argparse rejects unknown commands
