-- The guest record as operators keep it (couvert/guests.py).

-- name: customer_by_id
select id, location_id, first_name, last_name, email, phone_number, total_visits, no_show_count, cancel_count,
       avg_spend_per_visit, first_visit_at, last_visit_at, whatsapp_opt_in, sms_opt_out, tags, operator_tags,
       preferences, notes, locale, erased_at, created_at
from public.customers
where location_id = %(location_id)s and id = %(customer_id)s

-- name: customer_history
select id, reference, reservation_date, start_time, party_size, status, channel, ticket_id
from public.reservations
where location_id = %(location_id)s and customer_id = %(customer_id)s
order by start_at desc
limit 100

-- name: customer_notes
select id, note, note_type, is_alert, created_by, created_at
from public.customer_notes
where location_id = %(location_id)s and customer_id = %(customer_id)s
order by created_at

-- Only the fields given change (coalesce keeps the others); operator tags replace the list.
-- name: update_customer
update public.customers
set first_name = coalesce(%(first_name)s, first_name), last_name = coalesce(%(last_name)s, last_name),
    phone_number = case when %(phone_given)s then %(phone_number)s else phone_number end,
    notes = case when %(notes_given)s then %(notes)s else notes end,
    preferences = coalesce(%(preferences)s, preferences), operator_tags = coalesce(%(operator_tags)s, operator_tags),
    sms_opt_out = coalesce(%(sms_opt_out)s, sms_opt_out), locale = coalesce(%(locale)s, locale)
where location_id = %(location_id)s and id = %(customer_id)s and erased_at is null
returning id

-- name: add_customer_note
insert into public.customer_notes (location_id, customer_id, note, note_type, is_alert, created_by)
values (%(location_id)s, %(customer_id)s, %(note)s, %(note_type)s, %(is_alert)s, %(created_by)s)
returning id, note, note_type, is_alert, created_by, created_at

-- name: location_country
select country from public.locations where id = %(location_id)s
