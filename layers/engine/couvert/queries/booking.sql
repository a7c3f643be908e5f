-- Booking (booking.py).  Runs in one transaction under the (location, date) lock.

-- Concurrent requests with the same key wait here on the primary key until the first commits.  A
-- key past its expiry is taken over as new.
-- name: claim_idempotency_key
insert into public.idempotency_keys as k (location_id, key, request_hash, caller_fingerprint, expires_at)
values (%(location_id)s, %(key)s, %(request_hash)s, %(fingerprint)s, %(expires_at)s)
on conflict (location_id, key) do update
  set request_hash = excluded.request_hash, caller_fingerprint = excluded.caller_fingerprint,
      expires_at = excluded.expires_at, status_code = null, reservation_id = null, response = null
  where k.expires_at <= %(now)s
returning key

-- name: release_idempotency_key
-- A booking that failed after its first transaction frees its key for a retry.
update public.idempotency_keys set expires_at = %(now)s
where location_id = %(location_id)s and key = %(key)s

-- name: idempotency_record
select request_hash, status_code, reservation_id, caller_fingerprint
from public.idempotency_keys
where location_id = %(location_id)s and key = %(key)s

-- name: store_idempotent_response
update public.idempotency_keys
set status_code = %(status_code)s, reservation_id = %(reservation_id)s
where location_id = %(location_id)s and key = %(key)s

-- Serialises bookings of one location-day so pacing and cover limits hold; a lock wait longer
-- than lock_timeout raises lock_not_available (55P03), answered as a retryable 503.
-- name: lock_location_day
select public.lock_location_day(%(location_id)s::uuid, %(day)s::date, %(lock_timeout)s)

-- The same generous window as the snapshot: two days of slack either side, in UTC.
-- name: release_lapsed_holds
select public.release_lapsed_holds(%(location_id)s,
  (%(day)s::date - 2)::timestamp at time zone 'UTC', (%(day)s::date + 3)::timestamp at time zone 'UTC',
  %(now)s) as released

-- name: booking_settings
select options_enabled, option_default_hours, payment_timeout_minutes, draft_timeout_minutes
from public.reservation_settings
where location_id = %(location_id)s

-- Found by (location, lower(email)), else created.  Never updated from a booking: a guest who
-- knows someone's e-mail must not rewrite their record (operators update customers).  A SECURITY
-- DEFINER function: the caller (a guest, too) learns the id and nothing else.
-- name: find_or_create_customer
select public.find_or_create_customer(%(location_id)s, %(first_name)s, %(last_name)s, %(email)s,
                                      %(phone_number)s, %(locale)s) as id

-- The reservation, its 'created' audit row and the row the booking's answer is built from, in one
-- statement: the audit row is written only when the reservation is (a reference clash inserts
-- neither), and the answer's row is reservation_by_id's (the same columns and joins, tested), read
-- from the insert instead of read again.  It holds for a booking whose row does not move after its
-- insert (booking.py); the customer is found or created by an earlier statement, so it is visible here.
-- name: insert_reservation
with inserted as (
  insert into public.reservations (
    id, location_id, customer_id, ticket_id, shift_id, reservation_date, start_time, end_time, party_size,
    table_id, table_group_id, status, channel, is_squeeze, option_expires_at, payment_status, payment_intent_id,
    payment_amount, guest_notes, internal_notes, badges, reference, manage_token_hash, hold_expires_at,
    policy_snapshot, start_at, end_at, occupied_until, booked_at, contact_first_name, contact_last_name,
    contact_email, contact_phone, contact_locale)
  values (
    %(id)s, %(location_id)s, %(customer_id)s, %(ticket_id)s, %(shift_id)s, %(reservation_date)s, %(start_time)s,
    %(end_time)s, %(party_size)s, %(table_id)s, %(table_group_id)s, %(status)s, %(channel)s, %(is_squeeze)s,
    %(option_expires_at)s, %(payment_status)s, %(payment_intent_id)s, %(payment_amount)s, %(guest_notes)s,
    %(internal_notes)s, %(badges)s, %(reference)s, %(manage_token_hash)s, %(hold_expires_at)s,
    %(policy_snapshot)s, %(start_at)s, %(end_at)s, %(occupied_until)s, %(booked_at)s, %(first_name)s,
    %(last_name)s, %(email)s, %(phone_number)s, %(locale)s)
  on conflict (location_id, reference) do nothing
  returning *
), created as (
  insert into public.audit_log (location_id, entity_type, entity_id, action, old_value, new_value,
    performed_by, performed_by_type)
  select i.location_id, 'reservation', i.id, 'created', %(old_value)s, %(new_value)s, %(performed_by)s,
         %(performed_by_type)s
  from inserted i
)
select r.*, d.*
from inserted r
cross join lateral public.reservation_answer_details(r.location_id, r.customer_id) d

-- A booking written confirmed records its first move as the status machine would (migration 0022).
-- Sent with the insert, in its round trip: when a reference clash inserted nothing there is no row,
-- and nothing is recorded.
-- name: record_first_move
select public.record_first_move(r.id, %(reason)s, %(now)s) as result
from public.reservations r
where r.id = %(id)s

-- name: insert_audit
insert into public.audit_log (location_id, entity_type, entity_id, action, old_value, new_value,
  performed_by, performed_by_type)
values (%(location_id)s, %(entity_type)s, %(entity_id)s, %(action)s, %(old_value)s, %(new_value)s,
  %(performed_by)s, %(performed_by_type)s)

-- A message to the guest, due now (the status machine queues its own in SQL).
-- name: queue_message
insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
values (%(location_id)s, %(reservation_id)s, %(kind)s, '{}'::jsonb, %(now)s)

-- name: reservation_by_id
select r.*, d.*
from public.reservations r
cross join lateral public.reservation_answer_details(r.location_id, r.customer_id) d
where r.id = %(id)s

-- name: set_payment_intent
update public.reservations set payment_intent_id = %(payment_intent_id)s where id = %(id)s

-- name: reservation_for_change
select id, location_id, status, ticket_id, shift_id, reservation_date, start_time, end_time, start_at, end_at,
       occupied_until, party_size, table_id, table_group_id, is_squeeze, channel, internal_notes, badges,
       hold_expires_at, option_expires_at
from public.reservations
where id = %(id)s
for update

-- A reservation's stay as the engine re-checked it (seating.recheck): PATCH, a late payment, an
-- expired option re-booked.  Its table occupancy follows by trigger, under the exclusion constraint.
-- name: take_stay
update public.reservations
set shift_id = %(shift_id)s, start_time = %(start_time)s, end_time = %(end_time)s, start_at = %(start_at)s,
    end_at = %(end_at)s, occupied_until = %(occupied_until)s, party_size = %(party_size)s,
    table_id = %(table_id)s, table_group_id = %(table_group_id)s, is_squeeze = %(is_squeeze)s
where id = %(id)s

-- name: set_notes_and_badges
update public.reservations set internal_notes = %(internal_notes)s, badges = %(badges)s
where id = %(id)s

-- name: assign_table
update public.reservations set table_id = %(table_id)s, table_group_id = %(table_group_id)s
where id = %(id)s and table_id is null and table_group_id is null

-- Counts only at a location a booking could be made at (the snapshot's test): for an unknown or
-- inactive one it returns no row and the booking answers 404, with nothing counted.
-- name: take_rate_limit
select public.take_rate_limit(l.id, %(buckets)s, %(limits)s, %(window_seconds)s, %(now)s) as wait
from public.locations l
where l.id = %(location_id)s and l.is_active
