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

-- Offers not taken in time: the entry had its turn (its held draft lapses on its own).
-- name: expire_waitlist_offers
with due as (
  select id from public.waitlist_entries
  where status = 'notified' and offer_expires_at <= %(now)s
    and (%(location_id)s::uuid is null or location_id = %(location_id)s::uuid)
  order by offer_expires_at limit %(limit)s for update skip locked)
update public.waitlist_entries w set status = 'expired' from due where w.id = due.id
returning w.id

-- Days with guests waiting and no offer out: one offer at a time per day.
-- name: waitlist_days_to_offer
select w.location_id, w.desired_date
from public.waitlist_entries w
where w.status = 'active' and w.expires_at > %(now)s
  and (%(location_id)s::uuid is null or w.location_id = %(location_id)s::uuid)
  and not exists (select 1 from public.waitlist_entries o
                  where o.location_id = w.location_id and o.desired_date = w.desired_date and o.status = 'notified')
group by w.location_id, w.desired_date
order by min(w.created_at)
limit %(limit)s

-- First come, first served: the day's waiting guests in the order they joined.
-- name: waitlist_waiting_for_day
select w.id, w.ticket_id, w.time_from, w.time_to, w.party_size, w.expires_at,
       c.first_name, c.last_name, c.email, c.phone_number, c.locale
from public.waitlist_entries w
join public.customers c on c.location_id = w.location_id and c.id = w.customer_id
where w.location_id = %(location_id)s and w.desired_date = %(date)s and w.status = 'active' and w.expires_at > %(now)s
order by w.created_at
for update of w skip locked

-- name: waitlist_offer_minutes
select coalesce((select s.waitlist_offer_minutes from public.reservation_settings s
                 where s.location_id = %(location_id)s), 15) as minutes

-- name: record_waitlist_offer
update public.waitlist_entries
set status = 'notified', notified_at = %(now)s, offer_expires_at = %(offer_expires_at)s,
    reservation_id = %(reservation_id)s
where id = %(id)s

-- name: queue_waitlist_offer
insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
values (%(location_id)s, %(reservation_id)s, 'message.waitlist_offer',
        jsonb_build_object('entry_id', %(entry_id)s::text, 'offer_expires_at', %(offer_expires_at)s::text), %(now)s)
