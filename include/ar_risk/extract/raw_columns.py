"""What a raw row is made of: the columns the loader adds and the hash that identifies a row.

Shared by the loader (``ar_risk.extract.raw``) and the quality gate (``ar_risk.quality.gate``),
which both import it; neither imports the other for these.
"""

from __future__ import annotations

from ar_risk.warehouse import quote_ident

RAW_SCHEMA = "raw"
EXACT_SUFFIX = "__exact"  # <money column>__exact: the value has at most 2 decimals (ar_risk.quality.gate)
SOFT_DELETE_COLUMN = "is_deleted"  # optional on every table (source contract, "Deletes")
# Columns the loader adds to every raw table; they never come from a source.
METADATA_COLUMNS = {
    "_batch_id": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
    "_source_file": "VARCHAR",  # the file name, or conn_id:schema.table for a database
    "_source_row": "BIGINT",
    "_row_hash": "VARCHAR",
}


def row_hash_sql(columns: list[str], *, deleted_column: str | None = None) -> str:
    """SQL for ``_row_hash``: an md5 of the contract values only (NULL as ``\\N``).

    So the same row from CSV, Parquet or a database hashes the same; the quality gate's
    batch (``QualityGate.materialise``) computes it, and the loader inserts what it computed. A
    soft delete (``deleted_column`` true) hashes apart from the live row with the same values, so a
    delete re-sent with an unchanged ``updated_at`` is not skipped as "already present"; live rows
    hash as before.
    """
    values = ", ".join(f"coalesce(CAST({quote_ident(c)} AS VARCHAR), '\\N')" for c in columns)
    live = f"md5(concat_ws('|', {values}))"
    if deleted_column is None:
        return live
    return f"CASE WHEN coalesce({quote_ident(deleted_column)}, false) THEN md5({live} || '|deleted') ELSE {live} END"
