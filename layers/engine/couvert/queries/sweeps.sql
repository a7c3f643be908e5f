-- The scheduled jobs (sweeps.py).  Each is a function of migration 0010_scheduled_work.sql that
-- locks only the rows due at `now`, through a partial index matching its predicate.

-- name: sweep_statuses
select public.sweep_statuses(%(job)s, %(now)s, %(location_id)s::uuid, %(limit)s) as rows

-- name: queue_guest_requests
select public.queue_guest_requests(%(job)s, %(now)s, %(location_id)s::uuid, %(limit)s) as rows

-- name: expire_waitlist_entries
select public.expire_waitlist_entries(%(now)s, %(location_id)s::uuid, %(limit)s) as rows
