-- Open debit documents with days past due and aging bucket.
-- days_past_due = as_of_date - due_date: negative = not yet due, 0 = due today
-- (not yet overdue), 1 = first overdue day. Bucket edges come from the
-- aging_buckets seed; a left join so a gap in the edges shows up as a null
-- bucket (tested), never as a silently dropped invoice.
with

open_documents as (
    select * from {{ ref('int_documents_balanced') }}
    where
        document_type in ('invoice', 'debit_note')
        and open_amount > 0
),

buckets as (
    select * from {{ ref('aging_buckets') }}
),

aged as (
    select
        open_documents.*,
        -- date - date is a whole number of days on DuckDB and PostgreSQL alike
        open_documents.as_of_date - open_documents.due_date as days_past_due
    from open_documents
),

bucketed as (
    select
        aged.*,
        buckets.aging_bucket,
        buckets.bucket_order as aging_bucket_order
    from aged
    left join buckets
        on
            (buckets.min_days_past_due is null or aged.days_past_due >= buckets.min_days_past_due)
            and (buckets.max_days_past_due is null or aged.days_past_due <= buckets.max_days_past_due)
)

select * from bucketed
