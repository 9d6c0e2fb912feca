"""Extraction: source systems -> the warehouse's ``raw`` schema."""
