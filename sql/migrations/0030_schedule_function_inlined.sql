-- The day's schedule as a SQL function, so that PostgreSQL inlines it into the query that calls it.
-- As PL/pgSQL (migration 0009) every call ran its query as a statement of its own, planned apart
-- from the caller: once per day of a snapshot, a calendar of 31 days ran 31 of them.  The body is
-- 0009's query unchanged; the rules it carries are described there.
create or replace function public.get_effective_shift_schedule(p_location_id uuid, p_date date)
returns table (
  shift_id uuid, name text, short_name text, start_time time, end_time time,
  arrival_interval_minutes int, color text, sort_order int,
  closed boolean, label text, exception_type text)
language sql stable as $$
  select s.id, s.name, s.short_name,
         case when e.exception_type in ('modified', 'special')
              then coalesce(e.override_start_time, s.start_time) else s.start_time end,
         case when e.exception_type in ('modified', 'special')
              then coalesce(e.override_end_time, s.end_time) else s.end_time end,
         s.arrival_interval_minutes, s.color, s.sort_order,
         coalesce(e.exception_type = 'closed', false),
         e.label, e.exception_type
  from public.shifts s
  left join lateral (
    select x.shift_id, x.exception_type, x.override_start_time, x.override_end_time, x.label
    from public.shift_exceptions x
    where x.location_id = s.location_id
      and x.exception_date = p_date
      and (x.shift_id = s.id or x.shift_id is null)
    order by x.shift_id nulls last
    limit 1
  ) e on true
  where s.location_id = p_location_id
    and s.is_active
    and (extract(isodow from p_date)::int = any (s.days_of_week)
         or (e.exception_type = 'special' and e.shift_id is not null))
  order by s.sort_order, s.start_time, s.name;
$$;
