-- Status changes and reservation reads (lifecycle.py).  The rules live in SQL
-- (transition_reservation_status); Python only calls it.

-- name: transition
-- Who acts is not a parameter: the database takes it from the request (begin_request).
select public.transition_reservation_status(%(id)s, %(to)s, %(reason)s, %(now)s, %(expected_from)s) as result

-- name: guest_reservation_location
select public.guest_reservation_location(%(id)s, %(token_hash)s, %(now)s) as location_id

-- name: open_guest_reservation
-- The guest context of a manage link: its location, and the one reservation it may see.
select public.open_guest_reservation(%(location_id)s::uuid, %(id)s::uuid)

-- name: reconfirm
update public.reservations
set reconfirmed_at = coalesce(reconfirmed_at, %(now)s)
where id = %(id)s and status = 'confirmed'
returning id

-- name: reservation_status
select status, location_id from public.reservations where id = %(id)s

-- name: list_reservations
select r.*, l.timezone, l.currency, c.first_name, c.last_name, c.email, c.phone_number,
       (select coalesce(jsonb_agg(jsonb_build_object('note', n.note, 'note_type', n.note_type) order by n.created_at),
                        '[]'::jsonb)
        from public.customer_notes n  -- hidden from guests by row-level security: always [] for them
        where n.location_id = r.location_id and n.customer_id = r.customer_id and n.is_alert) as alerts
from public.reservations r
join public.locations l on l.id = r.location_id
left join public.customers c on c.location_id = r.location_id and c.id = r.customer_id
where r.location_id = %(location_id)s
  and r.reservation_date = %(date)s
  and (%(status)s::text is null or r.status = %(status)s)
order by r.start_at, r.reference

-- name: location_visible
select id, timezone from public.locations where id = %(location_id)s

-- An expired option re-booked through the engine: clearing the expiry lets the status machine
-- confirm it (the old expiry is in the audit row).
-- name: clear_option_expiry
update public.reservations set option_expires_at = null where id = %(id)s and status = 'option'

-- A guest seated after a no-show, at the table that is free now.
-- name: move_to_table
update public.reservations set table_id = %(table_id)s, table_group_id = %(table_group_id)s
where id = %(id)s

-- The floor the evening is laid out on (the console's timeline): tables with their area, and the
-- groups they join into.
-- name: floor_tables
select t.id, t.name, a.name as area, t.min_capacity, t.max_capacity,
       coalesce((select array_agg(m.table_group_id order by m.table_group_id) from public.table_group_members m
                 where m.location_id = t.location_id and m.table_id = t.id), '{}') as group_ids
from public.tables t
join public.areas a on a.location_id = t.location_id and a.id = t.area_id
where t.location_id = %(location_id)s and t.is_active
order by a.sort_order, a.name, t.priority desc, t.name

-- The day's shifts with each ticket's pacing and cover limits (the console's shift summary).
-- name: floor_shifts
select s.shift_id, s.name, s.start_time, s.end_time, s.arrival_interval_minutes, s.closed, s.label,
       coalesce((select jsonb_agg(jsonb_build_object(
                   'ticket_id', st.ticket_id, 'ticket_name', t.name,
                   'pacing_covers_limit', st.pacing_covers_limit, 'pacing_arrivals_limit', st.pacing_arrivals_limit,
                   'max_covers_total', st.max_covers_total, 'overbooking_covers', st.overbooking_covers)
                   order by st.sort_order, t.name)
                 from public.shift_tickets st
                 join public.tickets t on t.location_id = st.location_id and t.id = st.ticket_id
                 where st.location_id = %(location_id)s and st.shift_id = s.shift_id and st.is_active), '[]')
         as tickets
from public.get_effective_shift_schedule(%(location_id)s, %(date)s) s
order by s.sort_order, s.start_time

-- What cancelling now would give back, by the same rule the status machine applies (refund_cents),
-- for the caller this request is; null when this caller cannot cancel from the current status.
-- name: cancellation_terms
select public.refund_cents(r, 'cancelled', who.actor, %(now)s) as refund_cents,
       r.start_at - make_interval(hours => coalesce((r.policy_snapshot ->> 'cancel_free_hours')::int, 0))
         as free_until
from public.reservations r
cross join lateral (select public.request_actor(r.location_id) as actor) who
where r.id = %(id)s
  and exists (select 1 from public.reservation_status_transitions x
              where x.from_status = r.status and x.to_status = 'cancelled' and who.actor = any (x.actor_types))
