"""AR risk platform: the package the Airflow DAGs call."""
