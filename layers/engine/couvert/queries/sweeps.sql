-- The scheduled jobs (sweeps.py).  Each is a function of migration 0010_scheduled_work.sql that
-- locks only the rows due at `now`, through a partial index matching its predicate.

-- name: sweep_statuses
select public.sweep_statuses(%(job)s, %(now)s, %(location_id)s::uuid, %(limit)s) as rows

-- name: queue_guest_requests
select public.queue_guest_requests(%(job)s, %(now)s, %(location_id)s::uuid, %(limit)s) as rows

-- name: expire_waitlist_entries
select public.expire_waitlist_entries(%(now)s, %(location_id)s::uuid, %(limit)s) as rows

-- Idempotency keys older than their day hold nothing anyone needs: forget them.
-- name: forget_expired_keys
-- Idempotency keys past their day, and rate-limit counters of windows long gone (windows last an
-- hour at most, so a day-old counter no longer weighs in any estimate).
with gone as (
  delete from public.idempotency_keys
  where (location_id, key) in (select location_id, key from public.idempotency_keys
                               where expires_at <= %(now)s
                                 and (%(location_id)s::uuid is null or location_id = %(location_id)s::uuid)
                               limit %(limit)s)
  returning 1),
counters_gone as (
  delete from public.rate_limit_counters
  where (location_id, bucket, window_start) in (
    select location_id, bucket, window_start from public.rate_limit_counters
    where window_start < %(now)s - interval '1 day'
      and (%(location_id)s::uuid is null or location_id = %(location_id)s::uuid)
    limit %(limit)s)
  returning 1)
select (select count(*) from gone)::int + (select count(*) from counters_gone)::int as rows
