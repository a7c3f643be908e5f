-- The reservations as the engine reads them, in one place: the day's snapshot (snapshot_bookings,
-- migration 0039) and a booking's stay (snapshot_stay_bookings, migration 0040) each restated the
-- same select (its table ids, its statuses, capacity only).  A view rather than a function of the
-- rows: each function's own window still reaches the index scan on (location_id, start_at), where
-- filtering a function's rows materialized the whole day first (migration 0040).  security_invoker:
-- the table groups' members are read as the caller, as the functions read them before, and
-- capacity_bookings shows the locations the request may read.
create view public.engine_bookings with (security_invoker = true) as
select r.id, r.shift_id, r.ticket_id, r.reservation_date as date, r.start_at, r.occupied_until,
       r.party_size, r.status,
       case when r.table_id is not null then array[r.table_id]
            when r.table_group_id is not null then array(
              select m.table_id from public.table_group_members m
              where m.location_id = r.location_id and m.table_group_id = r.table_group_id)
            else '{}'::uuid[] end as table_ids,
       r.is_squeeze, r.hold_expires_at, r.option_expires_at, r.completed_at, r.end_at,
       r.location_id
from public.capacity_bookings r  -- other guests' reservations as capacity only: no personal data
where r.status in ('draft', 'pending_payment', 'option', 'confirmed', 'seated', 'completed');
comment on view public.engine_bookings is
  'The reservations that hold capacity, as the engine reads them (its Booking), under the caller''s row-level security.';
grant select on public.engine_bookings to couvert_api, couvert_worker;

create or replace function public.snapshot_bookings(p_location_id uuid, p_date_from date, p_date_to date)
returns table (id uuid, shift_id uuid, ticket_id uuid, date date, start_at timestamptz,
               occupied_until timestamptz, party_size int, status text, table_ids uuid[], is_squeeze boolean,
               hold_expires_at timestamptz, option_expires_at timestamptz, completed_at timestamptz,
               end_at timestamptz)
language plpgsql stable set plan_cache_mode = force_generic_plan as $$
declare
  -- Read before the scan, so that the bounds below are constants of the index scan on
  -- (location_id, start_at): as a join they filtered every reservation the location ever had.  Null
  -- for a location the caller cannot read, and then no bound holds.
  zone text := (select l.timezone from public.locations l where l.id = p_location_id);
  day_begins timestamptz := least(p_date_from::timestamp at time zone zone,
                                  (p_date_from::timestamp - interval '2 hours') at time zone zone + interval '2 hours');
begin
  return query
  select b.id, b.shift_id, b.ticket_id, b.date, b.start_at, b.occupied_until, b.party_size, b.status,
         b.table_ids, b.is_squeeze, b.hold_expires_at, b.option_expires_at, b.completed_at, b.end_at
  from public.engine_bookings b
  where b.location_id = p_location_id
    -- In the location's own days: a stay is shorter than a day, so one that can overlap a stay of
    -- the dates starts after the local midnight the day before the first date and before the local
    -- midnight two days after the last (a late stay of the last date runs into the next day).
    and b.start_at >= (p_date_from - 1)::timestamp at time zone zone
    and b.start_at < (p_date_to + 2)::timestamp at time zone zone
    -- ... and ends after the first date began (migration 0039).
    and b.occupied_until > day_begins;
end
$$;

create or replace function public.snapshot_stay_bookings(p_location_id uuid, p_date date, p_time time, p_ticket_id uuid,
                                                          p_shift_ids uuid[])
returns table (id uuid, shift_id uuid, ticket_id uuid, date date, start_at timestamptz,
               occupied_until timestamptz, party_size int, status text, table_ids uuid[], is_squeeze boolean,
               hold_expires_at timestamptz, option_expires_at timestamptz, completed_at timestamptz,
               end_at timestamptz)
language plpgsql stable set plan_cache_mode = force_generic_plan as $$
declare
  -- As in migration 0040: the bounds are read before the scan, the stay's end from the ticket, and
  -- the window widened by three hours around a change of the clocks.
  zone text := (select l.timezone from public.locations l where l.id = p_location_id);
  arrival timestamptz := (p_date + p_time) at time zone zone;
  stay_ends timestamptz;
  margin interval := case when ((p_date + 2)::timestamp at time zone zone) - ((p_date + 1)::timestamp at time zone zone)
                                 = interval '24 hours'
                            and ((p_date + 1)::timestamp at time zone zone) - (p_date::timestamp at time zone zone)
                                 = interval '24 hours'
                            and (p_date::timestamp at time zone zone) - ((p_date - 1)::timestamp at time zone zone)
                                 = interval '24 hours'
                          then interval '0' else interval '3 hours' end;
begin
  select greatest(arrival + make_interval(mins => t.duration_minutes + t.buffer_minutes),
                  arrival + make_interval(mins => coalesce(t.squeeze_duration_minutes, 0)
                                                  + coalesce(t.squeeze_gap_minutes, 0)),
                  (p_date + t.squeeze_to_fixed_end_time) at time zone zone
                    + make_interval(mins => coalesce(t.squeeze_gap_minutes, 0)))
    into stay_ends
  from public.tickets t
  where t.location_id = p_location_id and t.id = p_ticket_id;
  -- An unknown ticket (the engine answers that it is not offered): the window has no end.
  stay_ends := coalesce(stay_ends, 'infinity');
  return query
  select b.id, b.shift_id, b.ticket_id, b.date, b.start_at, b.occupied_until, b.party_size, b.status,
         b.table_ids, b.is_squeeze, b.hold_expires_at, b.option_expires_at, b.completed_at, b.end_at
  from public.engine_bookings b
  where b.location_id = p_location_id
    and b.start_at >= (p_date - 1)::timestamp at time zone zone  -- the day's index range
    and b.start_at < (p_date + 2)::timestamp at time zone zone
    and ((b.date = p_date and b.ticket_id = p_ticket_id
          and (p_shift_ids is null or b.shift_id = any(p_shift_ids)))  -- the ticket's counts
         or (b.start_at < stay_ends + margin and b.occupied_until > arrival - margin));  -- the stay's tables
end
$$;
