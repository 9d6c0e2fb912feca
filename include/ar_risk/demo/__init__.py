"""Deterministic demo data: a plausible ERP/CRM extract for the AR risk platform.

Use ``ar_risk.demo.generator`` (``generate``, ``SCALES``, ``ARCHETYPES``). Nothing is
re-exported here so that ``python -m ar_risk.demo.generator`` runs without a double import.
"""
