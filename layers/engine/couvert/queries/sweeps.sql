-- Scheduled jobs (sweeps.py).  Each matches a partial index on its predicate, so its cost grows
-- with the rows due, not with the table.

-- Frees the tables of drafts and payment holds past hold_expires_at and of lapsed options.
-- (The engine already ignores them; this keeps table_occupancies tidy for the exclusion constraint.)
-- name: release_lapsed_holds_everywhere
delete from public.table_occupancies o
using public.reservations r
where o.reservation_id = r.id
  and o.location_id = r.location_id
  and ((r.status in ('draft', 'pending_payment') and r.hold_expires_at <= %(now)s)
       or (r.status = 'option' and r.option_expires_at <= %(now)s))
