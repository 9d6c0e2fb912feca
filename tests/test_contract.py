"""The contract in code matches the shared contract and its generated documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ar_risk.contract import REQUIRED_TABLES, TABLES, render_markdown

PROJECT = Path(__file__).resolve().parents[1]
SHARED_CONTRACT = PROJECT.parent / "shared" / "source_contract.md"


def shared_columns(text: str) -> dict[str, list[str]]:
    """Column names per table from shared/source_contract.md (its tables or its inline lists)."""
    tables: dict[str, list[str]] = {}
    for section in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        name = section.split()[0]
        body = section.split("\n", 1)[1].strip()
        if body.startswith("|"):
            rows = [line for line in body.splitlines() if line.startswith("|")][2:]
            tables[name] = [row.split("|")[1].strip().strip("`") for row in rows]
        else:
            paragraph = body.split("\n\n")[0].split("Key:")[0]
            paragraph = re.sub(r"\([^)]*\)", "", paragraph)  # value lists like (`open`, `invoiced`)
            tables[name] = re.findall(r"`([a-z_]+)`", paragraph)
    return tables


@pytest.mark.skipif(not SHARED_CONTRACT.exists(), reason="shared/ is not beside this checkout")
def test_code_matches_the_shared_contract():
    shared = shared_columns(SHARED_CONTRACT.read_text())
    assert set(shared) == set(TABLES)
    for name, columns in shared.items():
        assert TABLES[name].column_names == columns, name
    required = [line.split()[1] for line in SHARED_CONTRACT.read_text().splitlines() if "(required)" in line]
    assert set(required) == set(REQUIRED_TABLES)


def test_generated_docs_are_up_to_date():
    documented = (PROJECT / "docs" / "source_contract.md").read_text()
    assert documented == render_markdown(), "run `.venv/bin/ar-risk contract > docs/source_contract.md`"


def test_generated_docs_name_every_landing_file_format():
    from ar_risk.extract.landing import LANDING_SUFFIXES

    for suffix in LANDING_SUFFIXES:
        assert f"*{suffix}" in render_markdown(), f"docs/source_contract.md does not name {suffix} files"


def test_keys_and_references_name_real_columns():
    for table in TABLES.values():
        assert set(table.key) <= set(table.column_names), table.name
        for column, target in table.references.items():
            target_table, target_column = target.split(".")
            assert column in table.column_names, (table.name, column)
            assert target_column in TABLES[target_table].column_names, (table.name, target)
