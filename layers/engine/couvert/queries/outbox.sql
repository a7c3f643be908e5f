-- The outbox as operators see it (lifecycle.py): failed events to look at, and requeueing one.
-- Row-level security limits both to the operator's locations.

-- name: list_outbox_events
select id, reservation_id, kind, status, attempts, last_error, next_attempt_at, created_at, processed_at
from public.outbox_events
where location_id = %(location_id)s and status = %(status)s
order by created_at desc
limit 200

-- A failed event goes back to the dispatcher as new: due now, attempts from zero.
-- name: requeue_outbox_event
update public.outbox_events
set status = 'pending', attempts = 0, next_attempt_at = %(now)s, last_error = null
where location_id = %(location_id)s and id = %(event_id)s and status = 'failed'
returning id, reservation_id, kind, status, attempts, last_error, next_attempt_at, created_at, processed_at

-- name: outbox_event_status
select status from public.outbox_events where location_id = %(location_id)s and id = %(event_id)s
