"""``ar-risk``: the command behind `make demo`, `make run` and friends."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys

from ar_risk.config import ConfigError, load_settings, parse_date, resolve_as_of_date
from ar_risk.redact import install_log_redaction, redact


def _cmd_generate(args: argparse.Namespace) -> int:
    from ar_risk.demo.generator import generate

    settings = load_settings()
    result = generate(settings.landing_dir, scale=args.scale, seed=args.seed, file_format=args.format)
    print(
        json.dumps(
            {
                "landing_dir": str(result.landing_dir),
                "as_of_date": result.end_date.isoformat(),
                "row_counts": result.row_counts,
                "seconds": round(result.seconds, 1),
            },
            ensure_ascii=False,
        )
    )
    return 0


def _run_and_summarize(as_of) -> int:
    from ar_risk.runner import run_pipeline
    from ar_risk.summary import render_summary

    settings = load_settings()
    run_pipeline(settings, as_of)
    print()
    print(render_summary(settings))
    return 0


def _demo_databases(args: argparse.Namespace) -> int:
    """The demo read from databases: ERP tables in PostgreSQL, CRM tables in MariaDB."""
    import os

    from ar_risk.demo.generator import generate
    from ar_risk.demo.to_database import build_demo_databases

    settings = load_settings()
    source_dir = settings.home / "demo_source"
    print(f"Generating demo ERP/CRM data (scale {args.scale}, seed {args.seed}) ...")
    result = generate(source_dir, scale=args.scale, seed=args.seed, file_format="parquet")
    print("Loading it into PostgreSQL (ERP) and MariaDB (CRM) ...")
    demo = build_demo_databases(source_dir, settings.home)
    for conn_id, where in demo.where.items():
        print(f"  {conn_id}: {where}")
    print(
        f"  {sum(demo.row_counts.values()):,} rows in {len(demo.row_counts)} tables; sources: {demo.sources_file}; "
        f"the demo's as-of date is the last day of the data: {result.end_date}"
    )
    # The DAG runs read the sources file and the connections from the environment.
    os.environ.update(demo.env)
    return _run_and_summarize(result.end_date)


def _cmd_demo(args: argparse.Namespace) -> int:
    from ar_risk.demo.generator import generate

    if args.source == "databases":
        return _demo_databases(args)
    settings = load_settings()
    print(f"Generating demo ERP/CRM data (scale {args.scale}, seed {args.seed}) into {settings.landing_dir} ...")
    result = generate(settings.landing_dir, scale=args.scale, seed=args.seed, file_format=args.format)
    print(
        f"  {sum(result.row_counts.values()):,} rows in {len(result.row_counts)} tables, {result.seconds:.1f}s; "
        f"the demo's as-of date is the last day of the data: {result.end_date}"
    )
    return _run_and_summarize(result.end_date)


def _as_of_option(args: argparse.Namespace, settings) -> dt.date:
    """--as-of if given, else AR_AS_OF, else today in AR_TIMEZONE."""
    return parse_date(args.as_of, "--as-of") if args.as_of else resolve_as_of_date(settings)


def _cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    as_of = _as_of_option(args, settings)
    return _run_and_summarize(as_of)


def _cmd_train(args: argparse.Namespace) -> int:
    """Run the ar_retrain DAG through Airflow for the as-of date (what the monthly schedule does)."""
    from ar_risk.run_lock import RunLockedError, run_lock
    from ar_risk.runner import RETRAIN_DAG, PipelineError, prepare_airflow, run_dag

    settings = load_settings()
    as_of = _as_of_option(args, settings)
    try:
        with run_lock(settings, as_of):  # it builds the training features into the warehouse
            prepare_airflow(settings)
            result = run_dag(settings, RETRAIN_DAG, as_of)
    except RunLockedError as exc:
        raise PipelineError(str(exc)) from exc
    print(f"{RETRAIN_DAG} succeeded in {result.seconds:.1f}s; the decision is in MLflow and in {result.log_path}")
    return 0


def _cmd_ui(args: argparse.Namespace) -> int:
    from ar_risk.ui import serve

    serve(load_settings(), airflow_port=args.port, mlflow_port=args.mlflow_port, run_schedule=args.command == "up")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from ar_risk.summary import render_summary

    print(render_summary(load_settings()))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from ar_risk.report import ReportError, write_report

    settings = load_settings()
    as_of = parse_date(args.as_of, "--as-of") if args.as_of else None
    try:
        report = write_report(settings, as_of)
    except ReportError as exc:
        print(f"error: {redact(exc)}", file=sys.stderr)
        return 2
    for lang, path in {**report.files, **{f"{k} (latest)": v for k, v in report.latest.items()}}.items():
        print(f"{lang:<16} {path}")
    return 0


def _cmd_bi_contract(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ar_risk.publish.bi_contract import render_markdown, replace_in

    generated = render_markdown()
    if not args.update:
        print(generated, end="")
        return 0
    path = Path(args.update)
    path.write_text(replace_in(path.read_text(encoding="utf-8"), generated), encoding="utf-8")
    print(f"BI contract tables updated in {path}")
    return 0


def _cmd_dbt_docs(args: argparse.Namespace) -> int:
    from ar_risk.transform.dbt import dbt_paths, run_dbt

    settings = load_settings()
    as_of = _as_of_option(args, settings)
    run_dbt(settings, ["docs", "generate", "--static"], as_of_date=as_of)
    target = dbt_paths(settings)["target"]
    print(f"dbt docs written to {target}: open {target / 'static_index.html'} (one file, works offline)")
    return 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ar_risk.backtest import render, run_backtest, write_json

    settings = load_settings()
    train_as_of = parse_date(args.train_as_of, "--train-as-of")
    outcome_as_of = parse_date(args.outcome_as_of, "--outcome-as-of")
    result = run_backtest(settings, train_as_of, outcome_as_of, keep=args.keep)
    print(render(result))
    if args.json:
        write_json(result, Path(args.json))
        print(f"written to {args.json}")
    return 0


def _cmd_contract(args: argparse.Namespace) -> int:
    from ar_risk.contract import render_markdown

    print(render_markdown(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ar-risk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate-demo", help="write demo ERP/CRM landing files into AR_LANDING_DIR")
    demo = sub.add_parser("demo", help="generate demo data, run the DAGs through Airflow, print the summary")
    for p in (gen, demo):
        p.add_argument("--scale", default="S", help="XS, S (default), M or L")
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    demo.add_argument(
        "--source",
        choices=["files", "databases"],
        default="files",
        help="files: landing CSV/Parquet (default); databases: ERP in PostgreSQL, CRM in MariaDB (docs/sources.md)",
    )
    gen.set_defaults(func=_cmd_generate)
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser("run", help="run the DAGs through Airflow on AR_LANDING_DIR for the as-of date")
    run.add_argument("--as-of", help="YYYY-MM-DD; default AR_AS_OF, else today in AR_TIMEZONE")
    run.set_defaults(func=_cmd_run)

    train = sub.add_parser("train", help="retrain the risk models now (the ar_retrain DAG) for the as-of date")
    train.add_argument("--as-of", help="YYYY-MM-DD; default as for run")
    train.set_defaults(func=_cmd_train)

    backtest = sub.add_parser(
        "backtest",
        help="out-of-time backtest on the current data: train as of T0, judge by the outcomes known at T1",
    )
    backtest.add_argument("--train-as-of", required=True, help="T0, YYYY-MM-DD: what the models may know")
    backtest.add_argument("--outcome-as-of", required=True, help="T1, YYYY-MM-DD, at least 91 days after T0")
    backtest.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    backtest.add_argument("--keep", action="store_true", help="keep the scratch home under $AR_HOME/tmp")
    backtest.set_defaults(func=_cmd_backtest)

    ui = sub.add_parser("ui", help="Airflow's and MLflow's web UIs on AR_HOME (no Docker); Ctrl-C stops them")
    up = sub.add_parser("up", help="as ui, and the scheduler runs the pipeline's daily schedule")
    for p in (ui, up):
        p.add_argument("--port", type=int, default=8080, help="the Airflow UI's port (default 8080)")
        p.add_argument("--mlflow-port", type=int, default=5000, help="the MLflow UI's port (default 5000)")
        p.set_defaults(func=_cmd_ui)

    summary = sub.add_parser("summary", help="print the summary of the current publication")
    summary.set_defaults(func=_cmd_summary)
    report = sub.add_parser("report", help="write the HTML health report (zh-CN, en) of the current publication")
    report.add_argument("--as-of", help="YYYY-MM-DD, a date the published marts hold; default the publication's date")
    report.set_defaults(func=_cmd_report)
    bi = sub.add_parser("bi-contract", help="print the BI contract (marts tables and columns) from the dbt YAMLs")
    bi.add_argument("--update", metavar="FILE", help="replace the generated block in FILE (docs/bi.md) instead")
    bi.set_defaults(func=_cmd_bi_contract)
    contract = sub.add_parser("contract", help="print the source contract as Markdown (docs/source_contract.md)")
    contract.set_defaults(func=_cmd_contract)

    docs = sub.add_parser("dbt-docs", help="generate the dbt docs site (models, columns, tests, lineage)")
    docs.add_argument("--as-of", help="YYYY-MM-DD used to compile the models; default as for run")
    docs.set_defaults(func=_cmd_dbt_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, FileNotFoundError) as exc:
        print(f"error: {redact(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        from ar_risk.runner import PipelineError

        if isinstance(exc, PipelineError):
            print(f"error: {redact(exc)}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
