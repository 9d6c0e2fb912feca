"""
### AR deliver — send the queued e-mails whose contact window has opened

`ar_publish` composes each day's e-mails into the outbox (`$AR_HOME/outbox/outbox.sqlite`) and
sends what may go at once. In send mode (`AR_EMAIL_MODE=send`) a customer message may go only
inside its contact window (the worklist row's, or the e-mail channel's hours in the contact's
time zone for a statement), which usually opens the next working morning: this DAG runs every
hour and sends the queued messages whose window is open, marks the ones whose window has closed
as expired, and composes nothing. Each message is sent at most once (its idempotency key).
In dry run it writes the queued messages as `.eml` files, as `ar_publish` does.
docs/collections.md, "E-mail delivery".
"""

from airflow.sdk import dag, task

from ar_risk.orchestration import DAG_PARAMS, DEFAULT_ARGS, START_DATE


@dag(
    dag_id="ar_deliver",
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=DAG_PARAMS,
    tags=["ar", "collections", "email"],
    doc_md=__doc__,
)
def ar_deliver():
    @task
    def send_due_messages() -> dict:
        """Send the queued e-mails whose window is open now; expire those whose window closed."""
        from ar_risk import tasks

        return tasks.send_due_messages()

    send_due_messages()


ar_deliver()
