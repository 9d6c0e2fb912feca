"""The BI contract as Markdown, generated from the dbt YAMLs (docs/bi.md's table list).

The contract is what the dbt exposures declare (every model BI tools are
promised in schema ``marts``); names, descriptions and columns come from the
models' YAML, so the document cannot drift from what dbt documents and tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ar_risk.config import PROJECT_DIR

# Every models folder: the marts and the collections marts (alerts, worklist) both declare exposures.
MARTS_MODELS_DIR = PROJECT_DIR / "dbt_project" / "models"
START, END = "<!-- bi-contract:start (generated: ar-risk bi-contract) -->", "<!-- bi-contract:end -->"


def _one_line(text: str | None) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def contract_models(models_dir: Path = MARTS_MODELS_DIR) -> list[dict]:
    """The models the exposures depend on, by name, each with its YAML entry."""
    models: dict[str, dict] = {}
    promised: list[str] = []
    for path in sorted(models_dir.rglob("*.yml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        models |= {model["name"]: model for model in spec.get("models", [])}
        for exposure in spec.get("exposures", []):
            promised += [ref.split("'")[1] for ref in exposure.get("depends_on", [])]
    missing = [name for name in promised if name not in models]
    if missing:
        raise ValueError(f"exposures name models without a YAML entry: {missing}")
    return [models[name] for name in sorted(set(promised))]


def render_markdown(models_dir: Path = MARTS_MODELS_DIR) -> str:
    lines = [START, ""]
    for model in contract_models(models_dir):
        lines += [f"### marts.{model['name']}", "", _one_line(model.get("description")), ""]
        lines += ["| column | meaning |", "|---|---|"]
        lines += [f"| `{c['name']}` | {_one_line(c.get('description'))} |" for c in model.get("columns", [])]
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_in(document: str, generated: str) -> str:
    """``document`` with its generated block replaced by ``generated``."""
    head, rest = document.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + generated.rstrip("\n") + tail
