-- The waitlist (waitlist.py).

-- name: insert_waitlist_entry
insert into public.waitlist_entries (location_id, customer_id, ticket_id, desired_date, time_from, time_to,
  party_size, expires_at)
values (%(location_id)s, %(customer_id)s, %(ticket_id)s, %(desired_date)s, %(time_from)s, %(time_to)s,
  %(party_size)s, %(expires_at)s)
returning *

-- name: waitlist_for_date
select * from public.waitlist_entries
where location_id = %(location_id)s and desired_date = %(date)s
order by created_at
