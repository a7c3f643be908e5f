-- The availability snapshot (couvert/snapshots.py): one query per kind of data, sent together in
-- one pipeline, all under the caller's row-level security.
--
-- The location's setup (tickets with their policies, shift tickets, areas, tables, table groups,
-- table rules, and the schedules of the days read) is kept by the process per location under the
-- location's config_version (migration 0029), which snapshot_location returns: a process that holds
-- the setup sends none of the setup queries, and reads them all again when the version has changed.

-- The location (active, and readable by the caller) and its configuration version; the days' schedules.
-- PL/pgSQL functions (migration 0036), so that their plans are kept for the session.
-- name: snapshot_location
select * from public.snapshot_location(%(location_id)s)

-- name: snapshot_schedule
select * from public.snapshot_schedule(%(location_id)s, %(date_from)s, %(date_to)s)

-- name: snapshot_tickets
select t.id, t.name, t.description, t.duration_minutes, t.buffer_minutes, t.min_party_size, t.max_party_size,
       t.booking_min_advance_minutes, t.booking_max_advance_days, t.booking_min_advance_large_party_minutes,
       t.large_party_threshold, t.squeeze_enabled, t.squeeze_duration_minutes, t.squeeze_gap_minutes,
       t.squeeze_to_fixed_end_time, t.squeeze_limit_per_shift, t.allowed_channels, t.sort_order, t.is_active,
       t.is_default,
       p.id as policy_id, p.name as policy_name, p.payment_type, p.payment_amount, p.cancel_free_hours,
       p.cancel_refund_pct, p.noshow_mark_after_minutes, p.noshow_keep_deposit, p.reconfirm_enabled,
       p.reconfirm_hours_before, p.reconfirm_required
from public.tickets t
join public.policy_sets p on p.location_id = t.location_id and p.id = t.policy_set_id
where t.location_id = %(location_id)s

-- name: snapshot_shift_tickets
select shift_id, ticket_id, area_ids, pacing_covers_limit, pacing_arrivals_limit, max_covers_total,
       overbooking_covers, is_active, sort_order
from public.shift_tickets
where location_id = %(location_id)s

-- name: snapshot_areas
select id, name, sort_order, is_active from public.areas
where location_id = %(location_id)s

-- name: snapshot_tables
select id, area_id, name, min_capacity, max_capacity, priority, online_bookable, is_active
from public.tables
where location_id = %(location_id)s

-- name: snapshot_table_groups
select g.id, g.name, g.min_capacity, g.max_capacity, g.is_active,
       coalesce(array_agg(m.table_id order by m.table_id) filter (where m.table_id is not null), '{}') as table_ids
from public.table_groups g
left join public.table_group_members m on m.location_id = g.location_id and m.table_group_id = g.id
where g.location_id = %(location_id)s
group by g.id

-- name: snapshot_table_rules
select table_id, rule_type, start_time, end_time, days_of_week, valid_from, valid_until
from public.table_availability_rules
where location_id = %(location_id)s

-- name: snapshot_bookings
-- Reservations that may hold capacity in the window (lapsed holds are filtered by the engine, which
-- knows `now`), a group booking occupying every member table; a PL/pgSQL function (migration 0030)
-- so that its plan is kept for the session.
select * from public.snapshot_bookings(%(location_id)s, %(date_from)s, %(date_to)s)

-- name: snapshot_stay_bookings
-- A booking's reservations (migration 0040): those that can touch its stay, the ticket's counts on
-- the date (in the shifts named, when shift_ids is not null) and every stay overlapping it, instead
-- of the whole day's.
select * from public.snapshot_stay_bookings(%(location_id)s, %(date_from)s, %(time)s, %(ticket_id)s,
                                            %(shift_ids)s::uuid[])
