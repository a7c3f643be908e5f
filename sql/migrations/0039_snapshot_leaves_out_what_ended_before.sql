-- The snapshot's reservations leave out the day before's stays that ended before the first date
-- began (bench/README.md, "Fourth pass").  The window reached back to the local midnight before the
-- first date, so that a late stay running past midnight into it is seen; it also brought every
-- other stay of that day, a quarter to a third of the rows a one-day snapshot decoded (a booking
-- reads one), which nothing in the engine can see: a stay blocks a table only while it lasts, and a
-- shift's counts are of its own date.  Filtered on the index range's rows, so the scan is the same.
--
-- Where clocks go back at one in the morning (America/Havana, Atlantic/Azores), midnight happens
-- twice; PostgreSQL reads an ambiguous local time as its later instant, the engine its earlier
-- (couvert/engine/clock.py).  The day begins at the earlier of PostgreSQL's midnight and the instant
-- two hours after ten the evening before, which no change of the clocks of up to two hours moves.
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
  select r.id, r.shift_id, r.ticket_id, r.reservation_date, r.start_at, r.occupied_until,
         r.party_size, r.status,
         case when r.table_id is not null then array[r.table_id]
              when r.table_group_id is not null then array(
                select m.table_id from public.table_group_members m
                where m.location_id = r.location_id and m.table_group_id = r.table_group_id)
              else '{}'::uuid[] end,
         r.is_squeeze, r.hold_expires_at, r.option_expires_at, r.completed_at, r.end_at
  from public.capacity_bookings r  -- other guests' reservations as capacity only: no personal data
  where r.location_id = p_location_id
    -- In the location's own days: a stay is shorter than a day, so one that can overlap a stay of
    -- the dates starts after the local midnight the day before the first date and before the local
    -- midnight two days after the last (a late stay of the last date runs into the next day).
    and r.start_at >= (p_date_from - 1)::timestamp at time zone zone
    and r.start_at < (p_date_to + 2)::timestamp at time zone zone
    -- ... and ends after the first date began: every stay of the dates starts after that midnight,
    -- and neither a table's occupancy nor a shift's counts can see one that ended before it.
    and r.occupied_until > day_begins
    and r.status in ('draft', 'pending_payment', 'option', 'confirmed', 'seated', 'completed');
end
$$;
