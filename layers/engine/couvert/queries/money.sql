-- Stripe webhooks and the money side of the outbox (stripe_events.py, outbox.py).  Run as the
-- worker role: these work across locations.

-- name: record_webhook_event
insert into public.webhook_events (provider, provider_event_id, event_type, payload)
values ('stripe', %(event_id)s, %(event_type)s, %(payload)s)
on conflict (provider, provider_event_id) do nothing
returning id

-- name: webhook_event_outcome
update public.webhook_events
set processed_at = %(now)s, outcome = %(outcome)s, location_id = %(location_id)s
where id = %(id)s

-- name: reservation_for_payment
select r.id, r.location_id, r.status, r.payment_status, r.payment_amount, r.payment_intent_id, l.currency
from public.reservations r
join public.locations l on l.id = r.location_id
where r.id = %(reservation_id)s::uuid or r.payment_intent_id = %(payment_intent_id)s
order by (r.id = %(reservation_id)s::uuid) desc nulls last
limit 1
for update of r

-- name: record_payment
update public.reservations
set payment_status = 'paid', payment_amount = %(amount)s, payment_intent_id = %(payment_intent_id)s
where id = %(id)s

-- name: set_payment_status
update public.reservations set payment_status = %(payment_status)s where id = %(id)s

-- name: refund_in_full
insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
select r.location_id, r.id, 'stripe.refund',
       jsonb_build_object('payment_intent_id', r.payment_intent_id,
                          'amount_cents', round(r.payment_amount * 100)::bigint,
                          'currency', l.currency, 'reason', %(reason)s::text),
       %(now)s
from public.reservations r join public.locations l on l.id = r.location_id
where r.id = %(id)s and r.payment_amount > 0

-- Lease due events of the kinds this dispatcher can carry out: invisible to other dispatchers until
-- the lease ends, so Stripe, SES and SNS are called outside any lock and each event is attempted by
-- one dispatcher at a time.  A dispatcher that dies mid-send leaves the lease to run out: the event
-- is sent again (at least once) with the same id.
-- name: lease_due_events
with due as (
  select id from public.outbox_events
  where status = 'pending' and kind = any (%(kinds)s::text[]) and next_attempt_at <= %(now)s
    and (%(location_id)s::uuid is null or location_id = %(location_id)s::uuid)
  order by next_attempt_at
  limit %(limit)s
  for update skip locked
)
update public.outbox_events o
set attempts = o.attempts + 1, next_attempt_at = %(lease_until)s
from due
where o.id = due.id
returning o.id, o.location_id, o.reservation_id, o.kind, o.payload, o.attempts

-- The age of the oldest due event (seconds): what an on-call engineer alarms on.
-- name: outbox_backlog_age
select coalesce(extract(epoch from %(now)s - min(next_attempt_at)), 0)::float as seconds
from public.outbox_events
where status = 'pending' and next_attempt_at <= %(now)s

-- name: outbox_done
update public.outbox_events set status = 'done', processed_at = %(now)s, last_error = null
where id = %(id)s and status = 'pending'

-- name: outbox_retry
update public.outbox_events
set next_attempt_at = %(next_attempt_at)s, last_error = %(error)s,
    status = case when attempts >= %(max_attempts)s then 'failed' else 'pending' end
where id = %(id)s and status = 'pending'

-- name: refunded_payment_status
update public.reservations r
set payment_status = case when %(amount_cents)s >= round(r.payment_amount * 100) then 'refunded'
                          else 'partial_refund' end
where r.id = %(reservation_id)s and r.payment_status in ('paid', 'partial_refund')

-- A PaymentIntent Stripe already reports cancelled needs no cancel from us: settle the queued one.
-- name: settle_payment_intent_cancel
update public.outbox_events
set status = 'done', processed_at = %(now)s, last_error = 'Stripe reported the PaymentIntent cancelled'
where reservation_id = %(reservation_id)s and kind = 'stripe.cancel_payment_intent' and status = 'pending'
