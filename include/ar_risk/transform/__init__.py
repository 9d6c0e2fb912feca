"""Transformation: the dbt project that builds staging, intermediate and marts."""
