-- No-show risk as the operator sees it (couvert/risk.py).

-- name: shift_risk
select s.location_id, s.shift_id, s.reservation_date, s.shift_name, s.reservation_count, s.total_covers,
       s.avg_risk_score, s.high_risk_count, s.suggested_overbook_covers
from public.shift_risk_summary s
where s.location_id = %(location_id)s and s.reservation_date = %(date)s
order by s.shift_name

-- The guests to call: the shift's high-risk reservations (the view's threshold), riskiest first.
-- name: shift_risk_calls
select r.shift_id, r.id, r.reference, r.start_at, r.party_size, r.status, r.no_show_risk_score,
       r.risk_factors -> 'factors' as factors, r.reconfirmed_at,
       coalesce(r.contact_first_name, c.first_name) as first_name, coalesce(r.contact_last_name, c.last_name) as last_name,
       coalesce(r.contact_phone, c.phone_number) as phone
from public.reservations r
left join public.customers c on c.location_id = r.location_id and c.id = r.customer_id
where r.location_id = %(location_id)s and r.reservation_date = %(date)s
  and r.status in ('confirmed', 'option') and r.no_show_risk_score > 0.6
order by r.no_show_risk_score desc, r.start_at

-- name: shift_overbooking
select st.shift_id, st.ticket_id, t.name as ticket_name, st.overbooking_covers
from public.shift_tickets st
join public.tickets t on t.location_id = st.location_id and t.id = st.ticket_id
where st.location_id = %(location_id)s
order by t.sort_order, t.name

-- name: shift_ticket
select overbooking_covers from public.shift_tickets
where location_id = %(location_id)s and shift_id = %(shift_id)s and ticket_id = %(ticket_id)s

-- Row-level security lets only owners and managers change it: no row back for a host.  The
-- location's row is locked first, as every other change of a location's setup locks it (a load of
-- the configuration, through the location; the version trigger of migration 0029): in the other
-- order the two would deadlock.
-- name: set_overbooking
with location as (
  select l.id from public.locations l where l.id = %(location_id)s for no key update
)
update public.shift_tickets set overbooking_covers = %(overbooking_covers)s
where location_id = (select id from location) and shift_id = %(shift_id)s and ticket_id = %(ticket_id)s
returning id, overbooking_covers
