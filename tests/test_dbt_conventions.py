"""Project conventions, checked by dbt-bouncer (dbt_project/dbt-bouncer.yml) on fresh artifacts.

The manifest comes from the project as it is now; the catalog from an empty
build (`dbt run --empty`: every model created with its real columns and no
rows) of the hand-made fixture, so "every column is documented" is checked
against the columns the models really have.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import dbt_paths, run_dbt

BOUNCER = Path(sys.executable).with_name("dbt-bouncer")
AS_OF = dt.date(2026, 3, 31)
PERSONAL_DATA_MODEL = "model.ar_risk.stg_crm__contacts"
# The marts allowed to derive from contacts: collectors need a way to reach the customer. The
# worklist carries masked phone / e-mail and the contact's name inside the filled message only
# (bouncer checks its column names; docs/collections.md, "Personal data"); strategy_effectiveness
# reads the worklist and aggregates it by action and segment, owner_daily_digest by owner (no
# contact column: customer names, actions, amounts and the alerts' messages), collection_capacity
# by role and work day (counts only: the contact's language decides who takes a row).
CONTACT_MARTS = [
    "model.ar_risk.collection_capacity",
    "model.ar_risk.collection_worklist",
    "model.ar_risk.owner_daily_digest",
    "model.ar_risk.strategy_effectiveness",
]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    """manifest.json and catalog.json of the current project, in a throwaway AR_HOME."""
    import shutil

    from conftest import TINY_LANDING, settings_for

    home = tmp_path_factory.mktemp("conventions")
    shutil.copytree(TINY_LANDING, home / "landing")
    settings = settings_for(home)
    load_landing(settings, batch_id="conventions")
    # Seeds and models only (no tests), reusing one manifest. The score marts read the scorer's
    # predictions (ml_scores), the collections models the contact calendar: created (empty)
    # between the builds, as in a run.
    from scores_support import write_predictions

    from ar_risk.collections.build import prepare_inputs

    empty_build = ["build", "--empty", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    run_dbt(settings, [*empty_build, "--exclude", "tag:collections", "tag:scores"], as_of_date=AS_OF)
    write_predictions(settings, AS_OF, [])
    prepare_inputs(settings, AS_OF, check_dates=False)  # an empty build has no dates
    run_dbt(settings, [*empty_build, "--select", "tag:scores", "tag:collections"], as_of_date=AS_OF)
    run_dbt(settings, ["docs", "generate", "--no-compile"], as_of_date=AS_OF)
    target = dbt_paths(settings)["target"]
    assert (target / "manifest.json").exists() and (target / "catalog.json").exists()
    return settings, target


def _bouncer(settings, target: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    config = yaml.safe_load((settings.dbt_project_dir / "dbt-bouncer.yml").read_text())
    config["dbt_artifacts_dir"] = str(target)
    config_file = tmp_path / "dbt-bouncer.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True))
    return subprocess.run(
        [str(BOUNCER), "run", "--config-file", str(config_file), "--output-file", str(tmp_path / "out.json"),
         "--output-format", "json"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip


def test_dbt_bouncer_is_clean(artifacts, tmp_path):
    settings, target = artifacts
    proc = _bouncer(settings, target, tmp_path)
    results = json.loads((tmp_path / "out.json").read_text())
    failed = [f"{r['check_run_id']}: {r.get('failure_message')}" for r in results if r.get("outcome") != "success"]
    assert failed == []
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # It really checked: catalog columns and manifest checks both ran over the project.
    names = {r["check_run_id"].split(":")[0] for r in results}
    assert {"check_columns_are_all_documented", "check_model_names", "check_model_has_unique_test"} <= names
    assert len(results) > 300


def test_dbt_bouncer_catches_an_undocumented_model(artifacts, tmp_path):
    # The checker must be able to fail: strip one model's description and columns in the manifest.
    settings, target = artifacts
    broken = tmp_path / "target"
    broken.mkdir()
    manifest = json.loads((target / "manifest.json").read_text())
    node = manifest["nodes"]["model.ar_risk.agg_ar_aging"]
    node["description"] = ""
    node["columns"].pop("overdue_amount_rc")
    (broken / "manifest.json").write_text(json.dumps(manifest))
    (broken / "catalog.json").write_text((target / "catalog.json").read_text())
    proc = _bouncer(settings, broken, tmp_path)
    assert proc.returncode != 0
    failed = {r["check_run_id"] for r in json.loads((tmp_path / "out.json").read_text()) if r["outcome"] != "success"}
    assert any(f.startswith("check_model_description_populated") and f.endswith("agg_ar_aging") for f in failed)
    assert any(f.startswith("check_columns_are_all_documented") and "agg_ar_aging" in f for f in failed)


def test_no_mart_reads_personal_contact_data(artifacts):
    # crm_contacts is personal data: no mart may depend on it, directly or through other models.
    _, target = artifacts
    manifest = json.loads((target / "manifest.json").read_text())
    parents = {uid: node["depends_on"]["nodes"] for uid, node in manifest["nodes"].items() if uid.startswith("model.")}
    marts = [uid for uid, node in manifest["nodes"].items() if uid.startswith("model.") and node["schema"] == "marts"]
    assert len(marts) >= 5

    def ancestors(uid, seen):
        for parent in parents.get(uid, []):
            if parent not in seen:
                seen.add(parent)
                ancestors(parent, seen)
        return seen

    leaking = [uid for uid in marts if PERSONAL_DATA_MODEL in ancestors(uid, set())]
    assert sorted(leaking) == CONTACT_MARTS
