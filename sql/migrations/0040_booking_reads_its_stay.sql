-- A booking reads the reservations that can touch its own stay, not its whole day (bench/README.md,
-- "Fifth pass"; docs/decisions.md, "Performance").  The engine decides a booking on the requested
-- slot alone (AvailabilityEngine.evaluate), and a slot's verdict depends on two kinds of rows only:
--   * the counts of the ticket on that date (pacing, covers, squeezes, covers without a table), kept
--     per (shift, ticket, date): every reservation of the ticket on the date, or, where the caller
--     names the shifts running at the arrival (p_shift_ids, from the schedule a process holds), of
--     the ticket in those shifts;
--   * the tables' occupancy during the stay: every reservation whose stay overlaps the slot's, from
--     the arrival to the latest end the ticket can give it (its duration and buffer, or a squeeze
--     with its gap, or a squeeze to a fixed end).
-- Around a change of the clocks a local time may be read as another instant than the engine's (an
-- ambiguous time: PostgreSQL takes the later, the engine the earlier; couvert/engine/clock.py), so
-- from the day before to the day after such a change the window is widened by three hours on both
-- sides, more than any zone's change.  tests/test_stay_snapshot.py holds the engine's verdict, table
-- and stay unchanged against the whole day's rows.  Rows are still found through the day's index
-- range (location_id, start_at).
create function public.snapshot_stay_bookings(p_location_id uuid, p_date date, p_time time, p_ticket_id uuid,
                                               p_shift_ids uuid[])
returns table (id uuid, shift_id uuid, ticket_id uuid, date date, start_at timestamptz,
               occupied_until timestamptz, party_size int, status text, table_ids uuid[], is_squeeze boolean,
               hold_expires_at timestamptz, option_expires_at timestamptz, completed_at timestamptz,
               end_at timestamptz)
language plpgsql stable set plan_cache_mode = force_generic_plan as $$
declare
  -- Read before the scan, so that the bounds below are constants of the index scan on
  -- (location_id, start_at).  Null for a location the caller cannot read: then no bound holds.
  zone text := (select l.timezone from public.locations l where l.id = p_location_id);
  arrival timestamptz := (p_date + p_time) at time zone zone;
  stay_ends timestamptz;
  -- Whether the zone's clocks change from the day before to the day after: a day not 24 hours long.
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
  -- The day's select (snapshot_bookings, migration 0039) restated with the stay's filter: filtering
  -- that function's rows instead materialized the whole day first, 0.13 ms more per booking on the
  -- benchmarks' reference day.
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
    and r.start_at >= (p_date - 1)::timestamp at time zone zone  -- the day's index range
    and r.start_at < (p_date + 2)::timestamp at time zone zone
    and r.status in ('draft', 'pending_payment', 'option', 'confirmed', 'seated', 'completed')
    and ((r.reservation_date = p_date and r.ticket_id = p_ticket_id
          and (p_shift_ids is null or r.shift_id = any(p_shift_ids)))  -- the ticket's counts
         or (r.start_at < stay_ends + margin and r.occupied_until > arrival - margin));  -- the stay's tables
end
$$;
comment on function public.snapshot_stay_bookings(uuid, date, time, uuid, uuid[]) is
  'The reservations that can touch one booking''s stay (its ticket''s on the date, and every stay overlapping it), as capacity only, under the caller''s row-level security.';
revoke execute on function public.snapshot_stay_bookings(uuid, date, time, uuid, uuid[]) from public;
grant execute on function public.snapshot_stay_bookings(uuid, date, time, uuid, uuid[]) to couvert_api, couvert_worker;
