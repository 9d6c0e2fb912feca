"""The archetype rules recover the demo generator's ground truth (macro-F1 >= 0.8).

The generator writes each customer's true behaviour archetype beside, not inside,
the landing folder. This test generates S (2,000 customers) with a seed other than
the one the thresholds were looked at with (42), runs the real extractor and the
dbt build of dim_customers, and scores the rules' archetypes against the truth with
scikit-learn. The rules never see the truth (int_customer_archetypes).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score

from ar_risk.demo.generator import ARCHETYPES, generate
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import run_dbt

from conftest import settings_for

SEED = 7
MIN_MACRO_F1 = 0.8


def test_archetype_rules_recover_the_generators_ground_truth(tmp_path):
    home = tmp_path / "ar_home"
    result = generate(home / "landing", scale="S", seed=SEED)
    settings = settings_for(home)
    load_landing(settings, batch_id="demo")
    as_of: dt.date = result.end_date
    run_dbt(settings, ["build", "--select", "+dim_customers", "--indirect-selection", "buildable"], as_of_date=as_of)

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        predicted = con.execute(
            "SELECT customer_id, archetype FROM marts.dim_customers WHERE as_of_date = ?", [as_of]
        ).df()
    finally:
        con.close()
    truth = pd.read_csv(result.ground_truth_path, usecols=["customer_id", "archetype"])
    scored = truth.merge(predicted, on="customer_id", suffixes=("_true", "_rule"), validate="one_to_one")
    assert len(scored) == len(truth) == 2_000

    labels = list(ARCHETYPES)
    macro_f1 = f1_score(scored["archetype_true"], scored["archetype_rule"], labels=labels, average="macro")
    matrix = confusion_matrix(scored["archetype_true"], scored["archetype_rule"], labels=labels)
    report = pd.DataFrame(matrix, index=labels, columns=labels).to_string()
    print(f"\nmacro-F1 = {macro_f1:.4f} (seed {SEED}, S, as of {as_of})\nrows: truth, columns: rules\n{report}")
    assert macro_f1 >= MIN_MACRO_F1, f"macro-F1 {macro_f1:.3f} < {MIN_MACRO_F1}\n{report}"
