-- The snapshot's location and schedule as PL/pgSQL functions, so that PostgreSQL keeps their plans
-- for the session (as migration 0030 did for the snapshot's reservations; bench/README.md, "Third
-- pass").  Prepared statements are off for the pooler, and every availability answer and every
-- booking sends both: planning the location's row under its row-level security policies took
-- 0.13 ms, three times its execution, and the schedule's generate_series joined to the schedule
-- function 0.04 ms.  Both run as their caller: the same policies, nothing more to read.

-- The columns are those of couvert/queries/availability.sql, snapshot_location, as before.
create function public.snapshot_location(p_location_id uuid)
returns table (id uuid, name text, timezone text, currency text, country text, config_version uuid)
language plpgsql stable as $$
begin
  return query
  select l.id, l.name, l.timezone, l.currency, l.country, l.config_version
  from public.locations l
  where l.id = p_location_id and l.is_active;
end
$$;
comment on function public.snapshot_location(uuid) is
  'The location an availability snapshot reads (active, and readable by the caller), with its configuration version.';
revoke execute on function public.snapshot_location(uuid) from public;
grant execute on function public.snapshot_location(uuid) to couvert_api, couvert_worker;

-- The effective schedule of each date from p_date_from to p_date_to (get_effective_shift_schedule).
create function public.snapshot_schedule(p_location_id uuid, p_date_from date, p_date_to date)
returns table (date date, shift_id uuid, name text, short_name text, start_time time, end_time time,
               arrival_interval_minutes int, color text, sort_order int, closed boolean, label text,
               exception_type text)
language plpgsql stable as $$
begin
  return query
  select d::date, e.*
  from generate_series(p_date_from, p_date_to, interval '1 day') d
  cross join lateral public.get_effective_shift_schedule(p_location_id, d::date) e;
end
$$;
comment on function public.snapshot_schedule(uuid, date, date) is
  'The effective shifts of each date in the range (get_effective_shift_schedule), for the availability snapshot.';
revoke execute on function public.snapshot_schedule(uuid, date, date) from public;
grant execute on function public.snapshot_schedule(uuid, date, date) to couvert_api, couvert_worker;
