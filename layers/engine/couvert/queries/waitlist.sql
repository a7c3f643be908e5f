-- The waitlist (waitlist.py).

-- name: insert_waitlist_entry
insert into public.waitlist_entries (id, location_id, customer_id, ticket_id, desired_date, time_from, time_to,
  party_size, expires_at)
values (%(id)s, %(location_id)s, %(customer_id)s, %(ticket_id)s, %(desired_date)s, %(time_from)s, %(time_to)s,
  %(party_size)s, %(expires_at)s)
returning *

-- name: waitlist_for_date
select * from public.waitlist_entries
where location_id = %(location_id)s and desired_date = %(date)s
order by created_at

-- How far ahead a waitlist may be joined: as far as the location's tickets (or the named one) book.
-- name: waitlist_horizon_days
select coalesce(max(booking_max_advance_days), 90) as days
from public.tickets
where location_id = %(location_id)s and is_active and (%(ticket_id)s::uuid is null or id = %(ticket_id)s::uuid)
