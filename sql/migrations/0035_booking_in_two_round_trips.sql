-- A booking in two round trips and two statements (bench/README.md, "Third pass"): one function
-- opens it under the day's lock, one writes it.
--
-- A booking sent about fourteen statements in six round trips: BEGIN, begin_request, then the guest's
-- focus, the location's settings, the lock, the lapsed holds, the snapshot and the rate limits in one
-- pipeline, the customer, the insert with its audit row and answer, the first move, and COMMIT.
-- Prepared statements are off for the pooler (PgBouncer, RDS Proxy), so every statement sent was
-- parsed and planned again: the insert alone, a data-modifying CTE joined to the answer's details
-- under row-level security, took longer to plan than to run.  PL/pgSQL keeps the plans of the
-- statements inside a function for the session, and a call is one cheap statement to plan.
--
--   open_booking     names what the guest request is about (the new reservation), claims the
--                    Idempotency-Key, takes the (location, date) lock and frees lapsed holds, in that
--                    order, and answers the location's booking settings (or the first booking's key
--                    record, when the key was used: then nothing is locked);
--   book_reservation counts the guest's rate limits (refusing with CV429 and the seconds to wait),
--                    finds or creates the customer, inserts the reservation (trying the references it
--                    is given until one is free), writes its 'created' audit row, records its first
--                    move when it is written confirmed, remembers the Idempotency-Key's reservation,
--                    and answers the reservation as reservation_by_id reads it.
--
-- Both run as their caller (security invoker): every row they read or write is under the caller's
-- row-level security, as the statements they replace were.  The client sends begin_request,
-- open_booking and the snapshot's queries in one round trip, and book_reservation with the end of
-- the transaction in the second (couvert/booking.py, couvert/pipelines.py).
--
-- The rate limits are counted with the writes, after the engine has decided: as before, a request
-- the engine refuses counts nothing (it rolls back), and one client's concurrent requests read their
-- snapshots before they queue on their counters, not after.

-- The answer of a reservation: its row and what the answer adds (zone, currency, the guest on file,
-- the guest's alerts).  reservation_by_id reads it, and book_reservation returns its row type.  It
-- lists reservations' columns as they are now: a migration that adds one recreates this view
-- (tests/test_create_reservation.py holds that it carries every column).
create view public.reservation_answers with (security_invoker = true) as
select r.*, d.*
from public.reservations r
cross join lateral public.reservation_answer_details(r.location_id, r.customer_id) d;
comment on view public.reservation_answers is
  'A reservation with what its answer adds (zone, currency, the guest on file, alerts), under the caller''s row-level security.';
grant select on public.reservation_answers to couvert_api, couvert_worker;

create function public.open_booking(
  p_location_id uuid, p_day date, p_now timestamptz,
  p_subject_id uuid,                       -- the reservation the booking will write (the guest's focus)
  p_lock_timeout text,                     -- null: no lock (the tests' unsafe switch, nothing else)
  p_key text, p_request_hash text, p_fingerprint text, p_key_expires_at timestamptz)  -- null key: none
returns table (options_enabled boolean, payment_timeout_minutes integer, draft_timeout_minutes integer,
               replay_reservation_id uuid, replay_status_code integer,
               replay_request_hash text, replay_fingerprint text, replayed boolean)
language plpgsql as $$
declare
  claimed boolean := true;
  replay record;
begin
  perform public.focus_guest(p_subject_id);
  if p_key is not null then
    -- Concurrent requests with the same key wait here on the primary key until the first commits;
    -- a key past its expiry is taken over as new.
    insert into public.idempotency_keys as k (location_id, key, request_hash, caller_fingerprint, expires_at)
    values (p_location_id, p_key, p_request_hash, p_fingerprint, p_key_expires_at)
    on conflict (location_id, key) do update
      set request_hash = excluded.request_hash, caller_fingerprint = excluded.caller_fingerprint,
          expires_at = excluded.expires_at, status_code = null, reservation_id = null, response = null
      where k.expires_at <= p_now;
    claimed := found;
    if not claimed then  -- a replay: the first booking answers it; nothing is locked or counted
      select k.reservation_id, k.status_code, k.request_hash, k.caller_fingerprint into replay
      from public.idempotency_keys k where k.location_id = p_location_id and k.key = p_key;
      return query select null::boolean, null::integer, null::integer, replay.reservation_id,
                          replay.status_code, replay.request_hash, replay.caller_fingerprint, true;
      return;
    end if;
  end if;
  if p_lock_timeout is not null then
    perform public.lock_location_day(p_location_id, p_day, p_lock_timeout);
  end if;
  -- The same generous window as the snapshot: two days of slack either side, in UTC.
  perform public.release_lapsed_holds(p_location_id, (p_day - 2)::timestamp at time zone 'UTC',
                                      (p_day + 3)::timestamp at time zone 'UTC', p_now);
  return query
    select s.options_enabled, s.payment_timeout_minutes, s.draft_timeout_minutes, null::uuid, null::integer, null::text, null::text, false
    from (select 1) one
    left join public.reservation_settings s on s.location_id = p_location_id;
end
$$;
comment on function public.open_booking(uuid, date, timestamptz, uuid, text, text, text, text, timestamptz) is
  'Opens a booking: the guest''s focus, Idempotency-Key claim, day lock, lapsed holds freed; the location''s booking settings.';
revoke execute on function public.open_booking(uuid, date, timestamptz, uuid, text, text, text, text, timestamptz) from public;
grant execute on function public.open_booking(uuid, date, timestamptz, uuid, text, text, text, text, timestamptz) to couvert_api, couvert_worker;

create function public.book_reservation(
  p_id uuid, p_location_id uuid, p_references text[],
  p_first_name text, p_last_name text, p_email text, p_phone_number text, p_locale text,
  p_ticket_id uuid, p_shift_id uuid, p_reservation_date date, p_start_time time, p_end_time time,
  p_party_size integer, p_table_id uuid, p_table_group_id uuid, p_status text, p_channel text,
  p_is_squeeze boolean, p_payment_status text, p_payment_amount numeric, p_guest_notes text,
  p_internal_notes text, p_badges jsonb, p_manage_token_hash text, p_hold_expires_at timestamptz,
  p_policy_snapshot jsonb, p_start_at timestamptz, p_end_at timestamptz, p_occupied_until timestamptz,
  p_booked_at timestamptz,
  p_old_value jsonb, p_new_value jsonb, p_performed_by uuid, p_performed_by_type text,  -- the 'created' audit row
  p_first_move_reason text,   -- written confirmed: record its first move with this reason (else null)
  p_key text,                 -- the Idempotency-Key to remember the reservation under (or null)
  p_buckets text[], p_limits integer[], p_window_seconds integer,  -- a guest's rate limits (null: none)
  p_now timestamptz)
returns setof public.reservation_answers
language plpgsql as $$
declare
  customer uuid;
  inserted public.reservations;
  wait integer;
begin
  if p_buckets is not null then
    wait := public.take_rate_limit(p_location_id, p_buckets, p_limits, p_window_seconds, p_now);
    if wait > 0 then  -- the caller rolls back: nothing of the request is kept, not even the count
      raise exception 'too many bookings from this client or e-mail address' using errcode = 'CV429', detail = wait;
    end if;
  end if;
  customer := public.find_or_create_customer(p_location_id, p_first_name, p_last_name, p_email, p_phone_number,
                                             p_locale);
  -- A reference clash inserts nothing (on conflict do nothing): the next reference is tried.
  for i in 1 .. coalesce(array_length(p_references, 1), 0) loop
    insert into public.reservations (
      id, location_id, customer_id, ticket_id, shift_id, reservation_date, start_time, end_time, party_size,
      table_id, table_group_id, status, channel, is_squeeze, payment_status, payment_amount, guest_notes,
      internal_notes, badges, reference, manage_token_hash, hold_expires_at, policy_snapshot, start_at, end_at,
      occupied_until, booked_at, contact_first_name, contact_last_name, contact_email, contact_phone,
      contact_locale)
    values (
      p_id, p_location_id, customer, p_ticket_id, p_shift_id, p_reservation_date, p_start_time, p_end_time,
      p_party_size, p_table_id, p_table_group_id, p_status, p_channel, p_is_squeeze, p_payment_status,
      p_payment_amount, p_guest_notes, p_internal_notes, p_badges, p_references[i], p_manage_token_hash,
      p_hold_expires_at, p_policy_snapshot, p_start_at, p_end_at, p_occupied_until, p_booked_at, p_first_name,
      p_last_name, p_email, p_phone_number, p_locale)
    on conflict (location_id, reference) do nothing
    returning * into inserted;
    exit when inserted.id is not null;
  end loop;
  if inserted.id is null then
    raise exception 'could not find a free reservation reference';
  end if;
  insert into public.audit_log (location_id, entity_type, entity_id, action, old_value, new_value,
                                performed_by, performed_by_type)
  values (p_location_id, 'reservation', p_id, 'created', p_old_value, p_new_value, p_performed_by,
          p_performed_by_type);
  if p_first_move_reason is not null then
    perform public.record_first_move(p_id, p_first_move_reason, p_now);
  end if;
  if p_key is not null then
    update public.idempotency_keys set status_code = 201, reservation_id = p_id
    where location_id = p_location_id and key = p_key;
  end if;
  -- The row as inserted (the first move records, it changes nothing in it) with what the answer adds:
  -- reservation_answers' row, without reading the reservation again.
  return query select (inserted).*, d.* from public.reservation_answer_details(p_location_id, customer) d;
end
$$;
comment on function public.book_reservation(uuid, uuid, text[], text, text, text, text, text, uuid, uuid, date, time,
                                            time, integer, uuid, uuid, text, text, boolean, text, numeric, text,
                                            text, jsonb, text, timestamptz, jsonb, timestamptz, timestamptz,
                                            timestamptz, timestamptz, jsonb, jsonb, uuid, text, text, text,
                                            text[], integer[], integer, timestamptz) is
  'Writes a booking decided under its day''s lock: rate limits, customer, reservation, audit row, first move, Idempotency-Key; its answer.';
revoke execute on function public.book_reservation(uuid, uuid, text[], text, text, text, text, text, uuid, uuid, date,
                                                   time, time, integer, uuid, uuid, text, text, boolean, text, numeric,
                                                   text, text, jsonb, text, timestamptz, jsonb, timestamptz,
                                                   timestamptz, timestamptz, timestamptz, jsonb, jsonb, uuid, text,
                                                   text, text, text[], integer[], integer, timestamptz) from public;
grant execute on function public.book_reservation(uuid, uuid, text[], text, text, text, text, text, uuid, uuid, date,
                                                  time, time, integer, uuid, uuid, text, text, boolean, text, numeric,
                                                  text, text, jsonb, text, timestamptz, jsonb, timestamptz,
                                                  timestamptz, timestamptz, timestamptz, jsonb, jsonb, uuid, text,
                                                  text, text, text[], integer[], integer, timestamptz) to couvert_api, couvert_worker;
