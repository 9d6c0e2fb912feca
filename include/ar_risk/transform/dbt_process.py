"""``python -m ar_risk.transform.dbt_process <dbt args>``: the dbt CLI as a short-lived child process.

The same ``dbt`` command line, with two things a one-shot process does not need
(measured on the daily build at M: about 2 s of a 19 s run, docs/benchmarks.md):

- Python's cyclic garbage collector. dbt keeps its whole manifest alive for the
  run, and each collection walks all of it again; garbage that is left costs
  about 0.1 GB of memory until the process ends.
- The interpreter's teardown. When dbt returns it has closed its warehouse
  connections (DuckDB has checkpointed) and written its artifacts; only
  freeing objects one by one is left, so the process ends with dbt's exit code
  once the logs are flushed.
"""

from __future__ import annotations

import gc

from ar_risk.child_process import run_then_exit


def main() -> None:
    gc.disable()
    from dbt.cli.main import cli

    run_then_exit(lambda: cli(prog_name="dbt"))


if __name__ == "__main__":
    main()
