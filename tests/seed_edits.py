"""A finance manager's edit of one seed, made on a copy of the shipped seeds (the bad-edit tests)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from ar_risk.config import PROJECT_DIR

SEEDS = PROJECT_DIR / "dbt_project" / "seeds"
Edit = Callable[[list[str]], list[str]]


def edited_seeds(tmp_path: Path, name: str, edit: Edit) -> Path:
    """A copy of the seeds (CSV only) under ``tmp_path`` with ``name``.csv's lines passed through ``edit``."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds, ignore=shutil.ignore_patterns("*.yml"))
    path = seeds / f"{name}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return seeds


def replace_once(old: str, new: str) -> Edit:
    """The edit that replaces ``old`` by ``new`` in the lines holding it (it must be there)."""

    def edit(lines: list[str]) -> list[str]:
        assert any(old in line for line in lines), old
        return [line.replace(old, new, 1) if old in line else line for line in lines]

    return edit
