-- A status change that moves none of the guest's statistics no longer writes the customer row.
-- Migration 0019's apply_customer_stats updated the customer whenever a reservation entered or left
-- completed, no_show or cancelled, even when every count stayed the same: a hold or an option that
-- lapses (cancelled by the system), or a dropped draft, wrote a new version of the customer row for
-- nothing (a scheduled run expiring three thousand holds and options wrote three thousand).  The
-- function is as in 0019 otherwise.
create or replace function public.apply_customer_stats() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  resolved constant text[] := array['completed', 'no_show'];
  direction int := (new.status = any (resolved))::int - (old.status = any (resolved))::int;
  visits int := (new.status = 'completed')::int - (old.status = 'completed')::int;
  no_shows int := (new.status = 'no_show')::int - (old.status = 'no_show')::int;
  cancels int := (new.status = 'cancelled' and new.cancelled_by is not distinct from 'guest'
                  and old.status <> 'draft')::int
                 - (old.status = 'cancelled' and old.cancelled_by is not distinct from 'guest')::int;
begin
  if direction <> 0 and old.risk_factors ? 'raw_score' then
    insert into public.risk_calibration as c (location_id, outcomes, no_shows, sum_raw_scores)
    values (new.location_id, direction, direction * ((new.status = 'no_show' or old.status = 'no_show')::int),
            direction * (old.risk_factors ->> 'raw_score')::double precision)
    on conflict (location_id) do update
      set outcomes = c.outcomes + excluded.outcomes, no_shows = c.no_shows + excluded.no_shows,
          sum_raw_scores = c.sum_raw_scores + excluded.sum_raw_scores;
  end if;
  -- Only outcomes and guests' cancellations move a guest's statistics (a completed visit also
  -- moves the visit dates): confirming, seating, paying or a lapsed hold leave the customer row be.
  if new.customer_id is null or (visits = 0 and no_shows = 0 and cancels = 0 and new.status <> 'completed') then
    return null;
  end if;
  update public.customers c
  set total_visits = c.total_visits + visits,
      first_visit_at = case when new.status = 'completed' then coalesce(c.first_visit_at, new.completed_at)
                            else c.first_visit_at end,
      last_visit_at = case when new.status = 'completed'
                           then greatest(coalesce(c.last_visit_at, new.completed_at), new.completed_at)
                           else c.last_visit_at end,
      no_show_count = c.no_show_count + no_shows,
      cancel_count = c.cancel_count + cancels
  where c.location_id = new.location_id and c.id = new.customer_id;
  return null;
end
$$;
