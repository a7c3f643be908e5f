-- RDS Proxy pins a client to one database connection for the rest of its session when the SQL
-- text it sends calls set_config, but not when a function it calls does (as begin_request does).
-- Three statements still called set_config in their own text: the guest's focus, the guest context
-- of a manage link, and the booking lock's timeout - every guest request and every booking pinned
-- its connection.  Each is now a function; what they set is still transaction-local.

-- What a guest request is about (a reservation or waitlist entry): the only such row it may see.
create function public.focus_guest(p_subject_id uuid)
returns void
language sql as $$
  select set_config('couvert.guest_subject_id', p_subject_id::text, true)
$$;

-- The guest context a manage link opens: its location, and the one reservation it may see.
create function public.open_guest_reservation(p_location_id uuid, p_reservation_id uuid)
returns void
language sql as $$
  select set_config('couvert.guest_location_id', p_location_id::text, true),
         set_config('couvert.guest_subject_id', p_reservation_id::text, true)
$$;

-- Serialises the bookings of one location-day; a wait longer than p_lock_timeout raises
-- lock_not_available (55P03), answered as a retryable 503.
create function public.lock_location_day(p_location_id uuid, p_day date, p_lock_timeout text)
returns void
language plpgsql as $$
begin
  perform set_config('lock_timeout', p_lock_timeout, true);
  perform pg_advisory_xact_lock(hashtextextended(p_location_id::text || '/' || p_day::text, 0));
end
$$;

revoke execute on function public.focus_guest(uuid), public.open_guest_reservation(uuid, uuid),
  public.lock_location_day(uuid, date, text) from public;
grant execute on function public.focus_guest(uuid), public.open_guest_reservation(uuid, uuid),
  public.lock_location_day(uuid, date, text) to couvert_api, couvert_worker;
