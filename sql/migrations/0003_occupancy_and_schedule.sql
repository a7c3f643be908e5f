-- Table occupancy follows the reservation; the effective schedule of a day; the risk view.

-- Which statuses hold tables (engine.md section 6).  Time-lapsed holds are excluded by the
-- engine and released by the booking path (release_lapsed_holds) before it inserts.
create or replace function public.status_holds_capacity(p_status text) returns boolean
language sql immutable parallel safe as $$
  select p_status in ('draft', 'pending_payment', 'option', 'confirmed', 'seated', 'completed')
$$;

-- Keeps table_occupancies equal to what the reservation occupies: the table (or every member of
-- the group) during [start_at, occupied_until), cut short at completed_at for a completed stay.
create or replace function public.sync_table_occupancy() returns trigger
language plpgsql as $$
begin
  delete from public.table_occupancies where reservation_id = new.id;
  if public.status_holds_capacity(new.status) then
    insert into public.table_occupancies (location_id, reservation_id, table_id, occupied)
    select new.location_id, new.id, t.table_id,
           tstzrange(new.start_at,
                     case when new.status = 'completed' and new.completed_at is not null
                          then least(greatest(new.completed_at, new.start_at), new.occupied_until)
                          else new.occupied_until end,
                     '[)')
    from (select new.table_id as table_id where new.table_id is not null
          union all
          select m.table_id from public.table_group_members m
          where m.location_id = new.location_id and m.table_group_id = new.table_group_id) t;
  end if;
  return null;
end
$$;

create trigger reservations_sync_table_occupancy
  after insert or update of status, table_id, table_group_id, start_at, occupied_until, completed_at
  on public.reservations
  for each row execute function public.sync_table_occupancy();

-- Drafts and payment holds past hold_expires_at, and options past option_expires_at, hold nothing
-- even before a sweep moves them: the booking path frees their tables in its own transaction.
create or replace function public.release_lapsed_holds(
  p_location_id uuid, p_from timestamptz, p_to timestamptz, p_now timestamptz default now())
returns int
language plpgsql as $$
declare released int;
begin
  delete from public.table_occupancies o
  using public.reservations r
  where o.location_id = p_location_id
    and r.location_id = p_location_id
    and o.reservation_id = r.id
    and o.occupied && tstzrange(p_from, p_to, '[)')
    and ((r.status in ('draft', 'pending_payment') and r.hold_expires_at <= p_now)
         or (r.status = 'option' and r.option_expires_at <= p_now));
  get diagnostics released = row_count;
  return released;
end
$$;

-- engine.md section 1 (PL/pgSQL, so its plan is cached per session: the API runs without prepared
-- statements, for RDS Proxy).  A shift-specific exception beats a location-wide one; a closed shift is
-- still listed (closed = true) so the widget can say why; a special day makes a shift run even
-- on a weekday it normally doesn't.
create or replace function public.get_effective_shift_schedule(p_location_id uuid, p_date date)
returns table (
  shift_id uuid, name text, short_name text, start_time time, end_time time,
  arrival_interval_minutes int, color text, sort_order int,
  closed boolean, label text, exception_type text)
language plpgsql stable as $$
begin
  return query
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
    select x.exception_type, x.override_start_time, x.override_end_time, x.label
    from public.shift_exceptions x
    where x.location_id = s.location_id
      and x.exception_date = p_date
      and (x.shift_id = s.id or x.shift_id is null)
    order by x.shift_id nulls last
    limit 1
  ) e on true
  where s.location_id = p_location_id
    and s.is_active
    and (extract(isodow from p_date)::int = any (s.days_of_week) or e.exception_type = 'special')
  order by s.sort_order, s.start_time, s.name;
end
$$;
comment on function public.get_effective_shift_schedule(uuid, date) is
  'The shifts that run (or are closed by an exception) at a location on a date, with exception times applied.';

-- Seed 000 section 7.1; security_invoker so row-level security applies through it.
create view public.shift_risk_summary with (security_invoker = true) as
select r.location_id,
       r.shift_id,
       r.reservation_date,
       s.name as shift_name,
       count(*) as reservation_count,
       sum(r.party_size) as total_covers,
       avg(r.no_show_risk_score) as avg_risk_score,
       count(*) filter (where r.no_show_risk_score > 0.6) as high_risk_count,
       round(sum(r.no_show_risk_score * r.party_size)) as suggested_overbook_covers
from public.reservations r
join public.shifts s on s.id = r.shift_id
where r.status in ('confirmed', 'option')
group by r.location_id, r.shift_id, r.reservation_date, s.name;
comment on view public.shift_risk_summary is 'Per shift and date: bookings, covers and no-show risk, for deciding how much to overbook.';
