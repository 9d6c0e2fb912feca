"""The overdue-probability model on demo data (scale S, seed 42): quality floors,
scorecard monotonicity, reproducibility, promotion gates, scoring and its errors.

One module fixture generates the demo data, loads it through the quality gate,
builds the warehouse for 2026-10-31 and trains once into a throwaway MLflow store
(about two minutes); the tests read what it produced.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import duckdb
import mlflow
import numpy as np
import pandas as pd
import pytest
from ar_risk_ml import MODEL_NAME
from ar_risk_ml.config import ModelConfigError, load_model_config
from ar_risk_ml.drift import psi
from ar_risk_ml.evaluate import evaluate
from ar_risk_ml.registry import CHAMPION, NoChampionError, load_champion, use_mlflow
from ar_risk_ml.score import MODEL_MARTS, ScoringError, cash_forecast, score
from ar_risk_ml.train import _decide, load_training_frame, split_by_time, train_and_promote

from ar_risk.demo.generator import generate
from ar_risk.extract.landing import load_landing
from ar_risk.transform.dbt import build, build_training_features

from conftest import settings_for

AS_OF = dt.date(2026, 10, 31)
CONFIG = load_model_config()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    home = tmp_path_factory.mktemp("ml_model") / "ar_home"
    settings = settings_for(home)
    generate(settings.landing_dir, scale="S", seed=42, file_format="parquet", end_date=AS_OF)
    load_landing(settings, batch_id="b1")
    build(settings, AS_OF)
    build_training_features(settings, AS_OF)
    first = train_and_promote(settings, AS_OF)
    scored = score(settings, AS_OF)
    return settings, first, scored


def _query(settings, sql, params=()):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def test_first_champion_meets_the_quality_floors(trained):
    settings, first, _ = trained
    assert first.promoted and first.decision == "no champion yet; challenger passes the floors"
    champion = first.metrics[max(("scorecard", "gradient_boosting"), key=lambda t: first.metrics[t]["roc_auc"])]
    assert champion["roc_auc"] >= 0.80
    assert champion["brier"] < champion["brier_base_rate"]
    # the registered champion, loaded as analysts and the scorer load it, gives the same AUC
    use_mlflow(settings)
    model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@champion")
    frame = load_training_frame(settings, CONFIG, AS_OF)
    _, _, validation = split_by_time(frame, CONFIG, AS_OF)
    p = model.predict(validation[CONFIG.feature_names])["overdue_probability"].to_numpy()
    again = evaluate(validation.is_late.to_numpy(int), p, champion["threshold"])
    assert again["roc_auc"] == pytest.approx(champion["roc_auc"], abs=1e-9)


def test_scorecard_points_are_monotonic_within_each_feature(trained):
    settings, _, _ = trained
    client = use_mlflow(settings)
    scorecards = [v for v in client.search_model_versions(f"name='{MODEL_NAME}'")
                  if client.get_run(v.run_id).data.tags.get("model_type") == "scorecard"]  # fmt: skip
    path = client.download_artifacts(scorecards[0].run_id, "points_table.json")
    table = pd.read_json(path, orient="split")
    binned = table[~table["bin"].isin(["Special", "Missing"])]
    assert binned.variable.nunique() == len(CONFIG.feature_names)
    for name, rows in binned.groupby("variable"):
        steps = np.diff(rows.sort_values("bin_id").points.to_numpy(float))
        assert (steps >= -1e-9).all() or (steps <= 1e-9).all(), f"{name}: points not monotonic {rows.points.tolist()}"


def test_retraining_reproduces_the_metrics_and_keeps_the_champion(trained):
    settings, first, _ = trained
    again = train_and_promote(settings, AS_OF)
    for model_type in ("scorecard", "gradient_boosting"):
        assert again.metrics[model_type] == pytest.approx(first.metrics[model_type], rel=1e-9)
    # the same model again cannot beat the champion by the margin: the champion stays, and the run says why
    assert not again.promoted and again.champion_version == first.champion_version
    assert "< margin 0.005" in again.decision
    client = use_mlflow(settings)
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == first.champion_version
    assert str(client.get_model_version_by_alias(MODEL_NAME, "challenger").version) == again.challenger_version


def test_a_champion_on_features_no_longer_built_does_not_block_retraining(trained, tmp_path):
    settings, _, _ = trained
    # a copy of the warehouse and of the registry (its champion included), so the module's stay as they are
    copy = dataclasses.replace(settings, warehouse_path=tmp_path / "warehouse.duckdb", mlflow_dir=tmp_path / "mlflow")
    shutil.copy(settings.warehouse_path, copy.warehouse_path)
    shutil.copytree(settings.mlflow_dir, copy.mlflow_dir)
    con = duckdb.connect(str(copy.warehouse_path))
    con.execute("alter table ml.invoice_features drop column rel_orders_90")
    con.close()
    fewer = dataclasses.replace(CONFIG, features=tuple(f for f in CONFIG.features if f.name != "rel_orders_90"))
    result = train_and_promote(copy, AS_OF, fewer)
    assert result.decision.startswith("champion version ")
    assert "needs features no longer built (['rel_orders_90']); judged on the floors alone" in result.decision
    assert result.promoted  # the new model passes the floors and replaces the incompatible champion


def test_promotion_gates():
    good = {"roc_auc": 0.84, "calibration_error": 0.02, "brier": 0.15, "brier_base_rate": 0.22}
    assert _decide(CONFIG, good, None)[0]
    assert _decide(CONFIG, good, {"roc_auc": 0.83})[0]  # +0.01 >= margin 0.005
    promoted, why = _decide(CONFIG, good, {"roc_auc": 0.837})
    assert not promoted and "gain +0.0030 < margin 0.005" in why
    promoted, why = _decide(CONFIG, {**good, "roc_auc": 0.70}, None)
    assert not promoted and "ROC-AUC 0.7000 < floor 0.75" in why
    promoted, why = _decide(CONFIG, {**good, "calibration_error": 0.09}, {"roc_auc": 0.5})
    assert not promoted and "calibration error 0.0900 > 0.05" in why
    promoted, why = _decide(CONFIG, {**good, "brier": 0.23}, None)
    assert not promoted and "not below the base-rate predictor" in why


def test_scores_cover_every_open_invoice_with_levels_and_reasons(trained):
    settings, first, scored = trained
    assert scored.model_version == first.champion_version
    scores = _query(settings, "select * from marts.invoice_risk_scores where as_of_date = ?", [AS_OF])
    open_items = _query(settings, "select invoice_id, open_amount_rc from marts.fct_ar_open_items "
                                  "where as_of_date = ? and document_type != 'credit_note'", [AS_OF])  # fmt: skip
    assert sorted(scores.invoice_id) == sorted(open_items.invoice_id)
    assert scores.open_amount_rc.sum() == pytest.approx(float(open_items.open_amount_rc.sum()), abs=0.01)
    assert scores.overdue_probability.between(0, 1).all()
    cut = CONFIG.risk_cutoffs
    p = scores.overdue_probability
    expected = np.select(
        [p >= cut["extreme"], p >= cut["high"], p >= cut["medium"]], ["extreme", "high", "medium"], "low"
    )
    assert (scores.risk_level == expected).all()
    assert set(scores.risk_level) == {"extreme", "high", "medium", "low"}
    assert scores.expected_loss_rc.sum() == pytest.approx((scores.overdue_probability * scores.open_amount_rc).sum(),
                                                          rel=1e-6)  # fmt: skip
    # an invoice at medium risk or worse says why (a low one may have nothing raising it)
    risky = scores[scores.risk_level != "low"]
    assert risky.reason_code_1.notna().mean() > 0.95
    assert set(scores.reason_code_1.dropna()) <= set(CONFIG.feature_names)
    assert (scores.predicted_pay_date > pd.Timestamp(AS_OF)).all()
    assert (risky.reasons_zh.str.len() > 0).mean() > 0.95
    customers = _query(settings, "select * from marts.customer_risk_scores where as_of_date = ?", [AS_OF])
    assert customers.open_amount_rc.sum() == pytest.approx(scores.open_amount_rc.sum(), abs=1)
    assert customers.customer_id.is_unique


def test_cash_forecast_drift_and_model_card(trained):
    settings, first, _ = trained
    forecast = _query(settings, "select * from marts.cash_forecast where as_of_date = ? order by period_type desc, "
                                "period_number", [AS_OF])  # fmt: skip
    weeks = forecast[forecast.period_type == "week"]
    assert list(weeks.period_number) == list(range(1, 14))
    assert weeks.period_start.iloc[0] == pd.Timestamp("2026-11-01")
    assert weeks.period_end.iloc[-1] == pd.Timestamp("2027-01-30")
    months = forecast[forecast.period_type == "month"]
    assert [str(d.date()) for d in months.period_start] == ["2026-11-01", "2026-12-01", "2027-01-01"]
    assert weeks.expected_collections_rc.sum() > 0
    drift = _query(settings, "select * from marts.model_drift where as_of_date = ?", [AS_OF])
    assert set(drift.feature) == {*CONFIG.feature_names, "overdue_probability"}
    assert (drift.is_alert == (drift.psi > CONFIG.psi_alert)).all()
    # the reference is the open items of the training date: scoring that same day shows no drift
    assert drift.psi.max() < 1e-9 and not drift.is_alert.any()
    (card,) = _query(settings, "select * from marts.model_card where as_of_date = ?", [AS_OF]).to_dict("records")
    assert card["model_version"] == first.champion_version and card["roc_auc"] >= 0.80
    assert card["pay_date_mae_days"] > 0 and card["weekly_amount_wape"] >= 0
    # scoring again for the same date replaces that date's rows (idempotent)
    before = {t: _query(settings, f"select * from marts.{t} order by all") for t in MODEL_MARTS}
    score(settings, AS_OF)
    after = {t: _query(settings, f"select * from marts.{t} order by all") for t in MODEL_MARTS}
    for table in MODEL_MARTS:
        pd.testing.assert_frame_equal(before[table], after[table])


def test_no_champion_is_a_clear_error(trained, tmp_path):
    settings, _, _ = trained
    empty = dataclasses.replace(settings, mlflow_dir=tmp_path / "mlflow")
    with pytest.raises(NoChampionError, match=r"has no version with alias 'champion'.*run the ar_retrain DAG"):
        score(empty, AS_OF)


def test_features_that_do_not_match_the_signature_are_a_clear_error(trained, tmp_path):
    settings, _, _ = trained
    copy = dataclasses.replace(settings, warehouse_path=tmp_path / "warehouse.duckdb")
    shutil.copy(settings.warehouse_path, copy.warehouse_path)
    con = duckdb.connect(str(copy.warehouse_path))
    con.execute("alter table ml.open_invoice_features drop column cur_overdue_share")
    con.close()
    with pytest.raises(
        ScoringError, match=r"does not match the champion's signature: missing columns \['cur_overdue_s"
    ):
        score(copy, AS_OF)
    with pytest.raises(ScoringError, match="is built for 2026-10-31, not 2026-11-30"):
        score(settings, dt.date(2026, 11, 30))


def test_psi_of_a_hand_computed_shift():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5) = 0.17329 + 0.10137
    assert psi(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(0.274653, abs=1e-6)
    assert psi(np.array([0.3, 0.7]), np.array([0.3, 0.7])) == 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("  extreme: 0.80", "  extreme: 0.20"), "risk_levels must fall from extreme"),
        (("  min_roc_auc: 0.75", "  min_roc_auc: high"), "promotion.min_roc_auc='high' must be a number"),
        (("  validation_months: 3", "  validation_months: 0"), "training.validation_months=0 must be between 1"),
        (("  pdo: 20\n", ""), "missing key scorecard.pdo"),
    ],
)
def test_bad_model_config_names_the_key(tmp_path, edit, message):
    from ar_risk_ml.config import CONFIG_PATH

    text = CONFIG_PATH.read_text()
    assert edit[0] in text
    path = tmp_path / "model_config.yml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ModelConfigError, match=message.replace("(", r"\(")):
        load_model_config(path)


def test_cash_forecast_periods_mid_month():
    # as of 2026-11-15: week 1 is 11-16..11-22, month 0 the rest of November, then three whole months;
    # the 2025 item is over 365 days past due: doubtful, left out
    scores = pd.DataFrame(
        {
            "due_date": pd.to_datetime(["2026-11-01", "2026-10-01", "2025-10-01"]),
            "predicted_pay_date": pd.to_datetime(["2026-11-20", "2026-12-03", "2026-11-29"]),
            "open_amount_rc": [100.0, 40.0, 999.0],
        }
    )
    forecast = cash_forecast(scores, dt.date(2026, 11, 15), CONFIG, "7")
    weeks = forecast[forecast.period_type == "week"].set_index("period_number")
    assert (weeks.loc[1, "period_start"], weeks.loc[1, "period_end"]) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert weeks.expected_collections_rc.to_dict() == {**dict.fromkeys(range(1, 14), 0.0), 1: 100.0, 3: 40.0}
    months = forecast[forecast.period_type == "month"].set_index("period_number")
    assert [(str(r.period_start), str(r.period_end), r.expected_collections_rc) for r in months.itertuples()] == [
        ("2026-11-16", "2026-11-30", 100.0),
        ("2026-12-01", "2026-12-31", 40.0),
        ("2027-01-01", "2027-01-31", 0.0),
        ("2027-02-01", "2027-02-28", 0.0),
    ]


class _HalfOfFirstColumn(mlflow.pyfunc.PythonModel):
    """A stand-in champion, instant to log: the relocation test needs a registered model, not a good one."""

    def predict(self, context, model_input, params=None):
        return model_input.iloc[:, 0] * 0.5


def test_a_moved_home_keeps_its_champion_and_logs_into_the_new_place(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where MLflow would put the Default experiment's ./mlruns
    old = settings_for(tmp_path / "old" / "ar_home")
    client = use_mlflow(old)
    assert client.get_experiment("0").artifact_location == f"{(old.mlflow_dir / 'artifacts').as_uri()}/0"
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            name="model", python_model=_HalfOfFirstColumn(), registered_model_name=MODEL_NAME, pip_requirements=[]
        )
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, info.registered_model_version)

    shutil.move(tmp_path / "old" / "ar_home", tmp_path / "moved_home")  # the old path is gone
    moved = settings_for(tmp_path / "moved_home")
    model, version = load_champion(moved)
    assert version.version == info.registered_model_version
    assert list(model.predict(pd.DataFrame({"open_amount": [2.0, 4.0]}))) == [1.0, 2.0]
    # New runs of the moved home go to its own artifacts folder, never back to the old place.
    with mlflow.start_run() as run:
        mlflow.log_dict({"moved": True}, "check.json")
    assert run.info.artifact_uri.startswith((moved.mlflow_dir / "artifacts").as_uri() + "/")
    assert not (tmp_path / "old" / "ar_home").exists() and not (tmp_path / "mlruns").exists()
