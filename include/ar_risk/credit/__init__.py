"""Credit management: the credit scorecard and the credit policy a credit manager edits.

The score and the policy are dbt models (``models/intermediate/credit``,
``models/scores/customer_credit_*``); their weights, bands and policy are
seeds, checked here before a run uses them (``config.validate_credit_config``).
"""
