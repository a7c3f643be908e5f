-- Booking (booking.py).  Runs in one transaction under the (location, date) lock.

-- name: release_idempotency_key
-- A booking that failed after its first transaction frees its key for a retry.
update public.idempotency_keys set expires_at = %(now)s
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

-- Found by (location, lower(email)), else created.  Never updated from a booking: a guest who
-- knows someone's e-mail must not rewrite their record (operators update customers).  A SECURITY
-- DEFINER function: the caller (a guest, too) learns the id and nothing else.
-- name: find_or_create_customer
select public.find_or_create_customer(%(location_id)s, %(first_name)s, %(last_name)s, %(email)s,
                                      %(phone_number)s, %(locale)s) as id

-- name: open_booking
-- Opens a booking under its day's lock (migration 0035): names the new reservation as what the
-- guest request is about, claims the Idempotency-Key, takes the (location, date) lock (unless the
-- tests' unsafe switch is on: a null timeout) and frees lapsed holds; answers the location's
-- booking settings, or, for a key already used, the first booking's record (and nothing is
-- locked).  A lock wait longer than the timeout raises lock_not_available (55P03), a retryable 503.
select * from public.open_booking(%(location_id)s, %(day)s, %(now)s, %(subject_id)s, %(lock_timeout)s, %(key)s,
                                  %(request_hash)s, %(fingerprint)s, %(key_expires_at)s)

-- name: book_reservation
-- Writes a booking decided under the lock (migration 0035): the guest's rate limits counted (CV429
-- with the seconds to wait when over one; the request rolls back, count and all); the customer
-- found by (location, lower(email)) or created, never updated from a booking; the reservation with
-- the first free reference of those given (its table occupancy follows by trigger, under the
-- exclusion constraint); its 'created' audit row; its first move when written confirmed (with that
-- reason); the Idempotency-Key's reservation.  Answers the reservation as reservation_by_id reads it.
select * from public.book_reservation(
  %(id)s, %(location_id)s, %(references)s, %(first_name)s, %(last_name)s, %(email)s, %(phone_number)s, %(locale)s,
  %(ticket_id)s, %(shift_id)s, %(reservation_date)s, %(start_time)s, %(end_time)s, %(party_size)s, %(table_id)s,
  %(table_group_id)s, %(status)s, %(channel)s, %(is_squeeze)s, %(payment_status)s, %(payment_amount)s,
  %(guest_notes)s, %(internal_notes)s, %(badges)s, %(manage_token_hash)s, %(hold_expires_at)s,
  %(policy_snapshot)s, %(start_at)s, %(end_at)s, %(occupied_until)s, %(booked_at)s, %(old_value)s,
  %(new_value)s, %(performed_by)s, %(performed_by_type)s, %(first_move_reason)s, %(key)s, %(buckets)s, %(limits)s,
  %(window_seconds)s, %(now)s)

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
-- The reservation with what its answer adds (migration 0035, reservation_answers).
select * from public.reservation_answers where id = %(id)s

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
