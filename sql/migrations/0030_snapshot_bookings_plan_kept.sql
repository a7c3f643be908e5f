-- The reservations an availability snapshot reads (couvert/queries/availability.sql,
-- snapshot_bookings), as a PL/pgSQL function so that PostgreSQL keeps its plan for the session.
--
-- Prepared statements are off (PgBouncer and RDS Proxy in transaction mode), so every statement a
-- request sends is parsed and planned again.  This one reads the capacity_bookings view under the
-- caller's row-level security, and planning the view, its policy and the group members' subquery
-- took 0.22-0.28 ms, every snapshot, whether the day holds a few reservations (0.03-0.04 ms to run)
-- or four hundred (0.2 ms) (`python -m bench.profile`, bench/README.md).  A PL/pgSQL function
-- prepares its statements once per session (migration 0024 relies on the same for the row-level
-- security helper); left to choose, PostgreSQL's plan cache went on planning this one for each
-- call's values (their estimates beat the generic plan's), so the function asks for the generic plan:
-- the same index scan on (location_id, start_at), its bounds computed when it runs.  PostgreSQL plans
-- it again after a change of the tables or view it reads, and when the calling role differs from the
-- one it was planned for.  The setting holds for what the function calls too (the row-level security
-- helpers its policies call, whose plans are generic anyway).  It runs as its caller: the same view,
-- the same policies, nothing more to read.
--
-- The columns are in the order of the engine's Booking fields: rows become Bookings positionally.
create function public.snapshot_bookings(p_location_id uuid, p_date_from date, p_date_to date)
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
    and r.status in ('draft', 'pending_payment', 'option', 'confirmed', 'seated', 'completed');
end
$$;
comment on function public.snapshot_bookings(uuid, date, date) is
  'The reservations that may hold capacity on the dates, as capacity only, under the caller''s row-level security.';
revoke execute on function public.snapshot_bookings(uuid, date, date) from public;
grant execute on function public.snapshot_bookings(uuid, date, date) to couvert_api, couvert_worker;
