-- A guest's upcoming reservations are rescored once per transaction, at its commit, for the guest's
-- final counts (bench/README.md, "Fourth pass").  The rescoring (migrations 0019, 0026) ran at every
-- change of a guest's counts: a scheduled run that marks a guest's five missed reservations as
-- no-shows rescored the same next five reservations five times, each a new version of the row in
-- every index of reservations, and all but the last of them overwritten within the same run.
--
-- The trigger is now a deferred constraint trigger: its events wait for the commit, where each finds
-- the guest's row as the transaction leaves it.  An event whose counts are no longer the row's has a
-- later event of its own (any change of the counts queues one), so it leaves the rescoring to that
-- one.  What a transaction reads of its own upcoming reservations' scores after changing a guest's
-- counts is the score from before; every other transaction sees the rescored rows.
create or replace function public.customers_rescore_upcoming() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if not exists (select 1 from public.customers c
                 where c.location_id = new.location_id and c.id = new.id
                   and (c.total_visits, c.no_show_count, c.cancel_count)
                       = (new.total_visits, new.no_show_count, new.cancel_count)) then
    return null;  -- the counts changed again later in the transaction: that change's event rescores
  end if;
  update public.reservations r
  set no_show_risk_score = risk.score, risk_factors = risk.factors
  from (select res.id, res.location_id, res.customer_id, res.party_size, res.channel, res.payment_status,
               res.start_at, res.booked_at, res.reconfirm_sent_at, res.reconfirmed_at
        from public.reservations res
        where res.location_id = new.location_id and res.customer_id = new.id
          and res.status in ('draft', 'pending_payment', 'option', 'confirmed')
        -- The next few are what a host acts on; a guest (or a company account) with hundreds booked
        -- ahead must not make one no-show cost hundreds of scorings.  The rest are rescored when
        -- they change, or when the next outcome comes closer to them.
        order by res.start_at limit 5) upcoming
  cross join lateral public.no_show_risk(upcoming.location_id, upcoming.customer_id, upcoming.party_size,
    upcoming.channel, upcoming.payment_status, upcoming.start_at, upcoming.booked_at,
    upcoming.reconfirm_sent_at, upcoming.reconfirmed_at) risk
  where r.id = upcoming.id
    and risk.factors is not null;  -- no such location: nothing to score (as score_no_show_risk)
  return null;
end
$$;

drop trigger customers_rescore_upcoming on public.customers;
create constraint trigger customers_rescore_upcoming
  after update of total_visits, no_show_count, cancel_count on public.customers
  deferrable initially deferred
  for each row when ((old.total_visits, old.no_show_count, old.cancel_count)
                     is distinct from (new.total_visits, new.no_show_count, new.cancel_count))
  execute function public.customers_rescore_upcoming();
