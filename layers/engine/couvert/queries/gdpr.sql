-- A guest's data at one location: the export and the erasure (couvert/guest_data.py).

-- name: may_manage_location
select %(location_id)s::uuid = any (public.operator_location_ids(array['owner', 'manager'])) as allowed

-- name: export_customer
select id, first_name, last_name, email, phone_number, locale, total_visits, no_show_count, cancel_count,
       avg_spend_per_visit, first_visit_at, last_visit_at, whatsapp_opt_in, sms_opt_out, tags, operator_tags,
       preferences, notes, erased_at, created_at
from public.customers
where location_id = %(location_id)s and id = %(customer_id)s

-- name: export_reservations
select id, reference, status, reservation_date, start_time, end_time, party_size, channel, ticket_id,
       contact_first_name, contact_last_name, contact_email, contact_phone, contact_locale, guest_notes,
       badges, payment_status, payment_amount, booked_at, reconfirmed_at, seated_at, completed_at, cancelled_at,
       cancelled_by, cancellation_reason, no_show_risk_score, risk_factors, created_at
from public.reservations
where location_id = %(location_id)s and customer_id = %(customer_id)s
order by start_at

-- name: export_waitlist
select id, desired_date, time_from, time_to, party_size, status, expires_at, created_at
from public.waitlist_entries
where location_id = %(location_id)s and customer_id = %(customer_id)s
order by created_at

-- name: export_notes
select note, note_type, is_alert, created_at
from public.customer_notes
where location_id = %(location_id)s and customer_id = %(customer_id)s
order by created_at

-- name: export_audit
select a.entity_type, a.entity_id, a.action, a.old_value, a.new_value, a.performed_by_type, a.created_at
from public.audit_log a
where a.location_id = %(location_id)s
  and (a.entity_id in (select r.id from public.reservations r
                       where r.location_id = %(location_id)s and r.customer_id = %(customer_id)s)
       or (a.entity_type = 'customer' and a.entity_id = %(customer_id)s))
order by a.created_at

-- name: export_messages
select o.kind, o.status, o.created_at, o.processed_at
from public.outbox_events o
where o.location_id = %(location_id)s and o.kind like 'message.%%'
  and o.reservation_id in (select r.id from public.reservations r
                           where r.location_id = %(location_id)s and r.customer_id = %(customer_id)s)
order by o.created_at

-- name: erase_customer
select public.erase_customer(%(location_id)s, %(customer_id)s, %(now)s) as counts
