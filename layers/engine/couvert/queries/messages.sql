-- Guest messages (messages.py): the facts one outbox event's message needs, read at sending time.
-- `sequence` counts the calendar-bearing messages of the reservation up to this one (iCalendar
-- SEQUENCE); `refund_cents` is what the cancellation refunds.

-- name: message_facts
select r.id, r.reference, r.status, r.reservation_date, r.start_time, r.end_time, r.start_at, r.end_at,
       r.party_size, r.payment_amount, r.payment_status, r.cancellation_reason, r.hold_expires_at,
       coalesce((r.policy_snapshot ->> 'noshow_keep_deposit')::boolean, false) as policy_keeps_deposit,
       %(cancelled_from)s::text as cancelled_from,
       -- the booking's own contact details first: the customer on file may be someone else's guess
       coalesce(r.contact_first_name, c.first_name) as first_name,
       coalesce(r.contact_last_name, c.last_name) as last_name, coalesce(r.contact_email, c.email) as email,
       coalesce(r.contact_phone, c.phone_number) as phone_number, coalesce(r.contact_locale, c.locale) as locale,
       coalesce(c.sms_opt_out, false) as sms_opt_out,
       l.name as location_name, l.address as location_address, l.phone as location_phone, l.timezone, l.currency,
       t.name as ticket_name, e.created_at as event_created_at,
       (select count(*) from public.outbox_events o
        where o.location_id = r.location_id and o.reservation_id = r.id
          and o.kind in ('message.confirmation', 'message.modification', 'message.cancellation')
          and o.created_at < e.created_at) as sequence,
       (select sum((o.payload ->> 'amount_cents')::bigint) from public.outbox_events o
        where o.location_id = r.location_id and o.reservation_id = r.id and o.kind = 'stripe.refund'
       ) as refund_cents
from public.outbox_events e
join public.reservations r on r.location_id = e.location_id and r.id = e.reservation_id
join public.locations l on l.id = r.location_id
join public.tickets t on t.location_id = r.location_id and t.id = r.ticket_id
left join public.customers c on c.location_id = r.location_id and c.id = r.customer_id
where e.id = %(event_id)s and r.id = %(reservation_id)s

-- The calendar file of one reservation (the widget's "add to calendar"): the same event its
-- messages carry, at the SEQUENCE of the latest calendar-bearing message.
-- name: calendar_facts
select r.id, r.reference, r.status, r.start_at, r.end_at, r.party_size, l.timezone,
       l.name as location_name, l.address as location_address,
       greatest((select count(*) from public.outbox_events o
                 where o.location_id = r.location_id and o.reservation_id = r.id
                   and o.kind in ('message.confirmation', 'message.modification', 'message.cancellation')) - 1,
                0) as sequence
from public.reservations r
join public.locations l on l.id = r.location_id
where r.id = %(id)s
