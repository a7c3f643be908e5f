-- When a guest's history changes, their next upcoming reservations at the location are rescored
-- (migration 0019).  That was a loop calling score_no_show_risk once per reservation: a read of the
-- row, the score, an update.  The same rescoring is now one UPDATE over the same five reservations,
-- scored by the same no_show_risk() (migration 0023); a scheduled run that marks a thousand
-- no-shows rescores five thousand reservations, and the loop's per-row calls were a third of it.
create or replace function public.customers_rescore_upcoming() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
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
alter function public.customers_rescore_upcoming() owner to couvert_definer;

-- Room on each page for a row's next version: the rescoring above, reminders and reconfirmations
-- update columns no index holds, and with free space on the page such an update is a HOT update
-- (no new entry in any of the table's indexes).  Applies to pages written from now on.
alter table public.reservations set (fillfactor = 90);
