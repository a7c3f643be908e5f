-- Status changes and reservation reads (lifecycle.py).  The rules live in SQL
-- (transition_reservation_status); Python only calls it.

-- name: transition
-- Who acts is not a parameter: the database takes it from the request (begin_request).
select public.transition_reservation_status(%(id)s, %(to)s, %(reason)s, %(now)s, %(expected_from)s) as result

-- name: guest_reservation_location
select public.guest_reservation_location(%(id)s, %(token_hash)s, %(now)s) as location_id

-- name: open_guest_reservation
-- The guest context of a manage link: its location, and the one reservation it may see.
select set_config('couvert.guest_location_id', %(location_id)s::text, true),
       set_config('couvert.guest_subject_id', %(id)s::text, true)

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
