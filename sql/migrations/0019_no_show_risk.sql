-- No-show risk (docs/decisions.md, "No-show risk"): an explainable score per reservation, recomputed when its inputs change.
--
-- The score is a logistic model.  Its starting point is the guest's own no-show rate, smoothed toward
-- the location's rate so that a guest with one booking and one no-show is not "certain" to stay away;
-- each other factor adds its contribution in log-odds.  risk_factors lists every factor with its value
-- and contribution, so a host sees why.  Deterministic: it reads the reservation, its customer's
-- counts and the location's totals, never a clock.

-- What the location's scores said against what happened: the model's raw scores of reservations that
-- have an outcome, and how many of them were no-shows.  The score corrects itself toward the
-- location's reality as outcomes accumulate (a guest's history already mixes deposits, reminders and
-- lead times in the location's own proportions, which no fixed coefficient can know).
create table public.risk_calibration (
  location_id uuid primary key references public.locations (id) on delete cascade,
  outcomes integer not null default 0,
  no_shows integer not null default 0,
  sum_raw_scores double precision not null default 0
);
comment on table public.risk_calibration is
  'Per location: raw no-show scores of resolved reservations against their outcomes, for self-calibration.';
alter table public.risk_calibration enable row level security;
alter table public.risk_calibration force row level security;
grant select on public.risk_calibration to couvert_api, couvert_worker;
grant select, insert, update on public.risk_calibration to couvert_definer;
create policy "members of a location can read its risk calibration" on public.risk_calibration
  for select to couvert_api using (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "the worker can read every risk calibration" on public.risk_calibration
  for select to couvert_worker using (true);
create policy "the definer reads risk calibration" on public.risk_calibration
  for select to couvert_definer using (true);
create policy "the definer adds risk calibration" on public.risk_calibration
  for insert to couvert_definer with check (true);
create policy "the definer updates risk calibration" on public.risk_calibration
  for update to couvert_definer using (true) with check (true);

create function public.score_no_show_risk(p_reservation_id uuid)
returns double precision
language plpgsql security definer set search_path = '' as $$
declare
  r record;
  -- Pseudo-bookings at the location's rate mixed into every guest's history.
  prior_weight constant double precision := 12;
  base_rate double precision;
  history double precision;
  guest_rate double precision;
  cancel_rate double precision;
  lead_days double precision;
  local_start timestamp;
  logit double precision;
  score double precision;
  raw_score double precision;
  calibration public.risk_calibration;
  observed double precision;
  predicted double precision;
  correction double precision;
  factors jsonb := '[]'::jsonb;

begin
  select res.id, res.location_id, res.party_size, res.channel, res.payment_status, res.start_at,
         res.booked_at, res.reconfirm_sent_at, res.reconfirmed_at,
         coalesce(c.no_show_count, 0) as no_shows, coalesce(c.total_visits, 0) as visits,
         coalesce(c.cancel_count, 0) as cancels, l.timezone
  into r
  from public.reservations res
  join public.locations l on l.id = res.location_id
  left join public.customers c on c.location_id = res.location_id and c.id = res.customer_id
  where res.id = p_reservation_id;
  if not found then
    return null;
  end if;
  select * into calibration from public.risk_calibration c where c.location_id = r.location_id;
  -- The location's own no-show rate, smoothed toward 10 % while it has few outcomes.
  base_rate := (coalesce(calibration.no_shows, 0) + 1.0) / (coalesce(calibration.outcomes, 0) + 10);

  history := r.no_shows + r.visits;
  guest_rate := (r.no_shows + prior_weight * base_rate) / (history + prior_weight);
  logit := ln(guest_rate / (1 - guest_rate));
  factors := factors || jsonb_build_object('factor', 'guest_no_show_rate', 'value',
    jsonb_build_object('no_shows', r.no_shows, 'visits', r.visits, 'location_rate', round(base_rate::numeric, 4),
                       'smoothed_rate', round(guest_rate::numeric, 4)),
    'contribution', round(logit::numeric, 4));

  -- Late cancellations by the guest say something about commitment too, less than no-shows.
  cancel_rate := r.cancels / (r.cancels + history + prior_weight);
  factors := factors || jsonb_build_object('factor', 'guest_cancellation_rate', 'value', round(cancel_rate::numeric, 4),
                                           'contribution', round((1.0 * cancel_rate)::numeric, 4));
  logit := logit + 1.0 * cancel_rate;

  if history = 0 then
    factors := factors || jsonb_build_object('factor', 'first_visit', 'value', true, 'contribution', 0.1);
    logit := logit + 0.1;
  end if;

  -- Plans made long ahead are forgotten more often; centred on a week.  (Unknown for rows written
  -- before booked_at existed: no contribution.)
  if r.booked_at is not null then
    lead_days := greatest(extract(epoch from r.start_at - r.booked_at) / 86400, 0);
    factors := factors || jsonb_build_object('factor', 'lead_time_days', 'value', round(lead_days::numeric, 1),
      'contribution', round((0.3 * (ln(1 + lead_days) - ln(8)))::numeric, 4));
    logit := logit + 0.3 * (ln(1 + lead_days) - ln(8));
  end if;

  factors := factors || jsonb_build_object('factor', 'party_size', 'value', r.party_size,
    'contribution', round((-0.05 * (least(r.party_size, 12) - 2))::numeric, 4));
  logit := logit - 0.05 * (least(r.party_size, 12) - 2);

  factors := factors || jsonb_build_object('factor', 'channel', 'value', r.channel, 'contribution',
    case r.channel when 'widget' then 0.2 when 'google' then 0.3 when 'third_party' then 0.3
                   when 'phone' then -0.2 when 'walk_in' then -3 else 0 end);
  logit := logit + case r.channel when 'widget' then 0.2 when 'google' then 0.3 when 'third_party' then 0.3
                                  when 'phone' then -0.2 when 'walk_in' then -3 else 0 end;

  if r.payment_status in ('paid', 'partial_refund') then
    factors := factors || jsonb_build_object('factor', 'payment_taken', 'value', true, 'contribution', -1.2);
    logit := logit - 1.2;
  end if;

  if r.reconfirmed_at is not null then
    factors := factors || jsonb_build_object('factor', 'reconfirmation', 'value', 'reconfirmed', 'contribution', -1.1);
    logit := logit - 1.1;
  elsif r.reconfirm_sent_at is not null then
    factors := factors || jsonb_build_object('factor', 'reconfirmation', 'value', 'asked, no answer yet',
                                             'contribution', 0.6);
    logit := logit + 0.6;
  end if;

  local_start := r.start_at at time zone r.timezone;
  factors := factors || jsonb_build_object('factor', 'weekday', 'value', to_char(local_start, 'FMDay'),
    'contribution', case when extract(isodow from local_start) in (5, 6) then -0.15 else 0 end);
  logit := logit + case when extract(isodow from local_start) in (5, 6) then -0.15 else 0 end;
  factors := factors || jsonb_build_object('factor', 'hour', 'value', extract(hour from local_start),
    'contribution', case when extract(hour from local_start) < 15 then 0.1 else 0 end);
  logit := logit + case when extract(hour from local_start) < 15 then 0.1 else 0 end;

  raw_score := 1 / (1 + exp(-logit));
  -- Self-calibration: shift by the gap between what the location's raw scores predicted and what
  -- happened, trusted in proportion to how many outcomes back it (half at 300).
  if calibration.outcomes > 0 then
    observed := (calibration.no_shows + 0.5) / (calibration.outcomes + 1);
    predicted := (calibration.sum_raw_scores + 0.5) / (calibration.outcomes + 1);
    correction := calibration.outcomes / (calibration.outcomes + 300.0)
                  * (ln(observed / (1 - observed)) - ln(predicted / (1 - predicted)));
    factors := factors || jsonb_build_object('factor', 'location_calibration',
      'value', jsonb_build_object('outcomes', calibration.outcomes, 'observed_rate', round(observed::numeric, 4),
                                  'predicted_rate', round(predicted::numeric, 4)),
      'contribution', round(correction::numeric, 4));
    logit := logit + correction;
  end if;
  score := 1 / (1 + exp(-logit));
  update public.reservations
  set no_show_risk_score = score,
      risk_factors = jsonb_build_object('model', 'couvert-risk-1', 'raw_score', raw_score, 'factors', factors)
  where id = r.id;
  return score;
end
$$;
comment on function public.score_no_show_risk(uuid) is
  'Scores one reservation''s no-show risk in [0, 1] and writes risk_factors; for the triggers and the RPC only.';
alter function public.score_no_show_risk(uuid) owner to couvert_definer;
revoke execute on function public.score_no_show_risk(uuid) from public;

-- The RPC: the same score, for a reservation the caller can reach.
create function public.calculate_no_show_risk(p_reservation_id uuid)
returns double precision
language plpgsql security definer set search_path = '' as $$
declare
  location uuid;
begin
  select r.location_id into location from public.reservations r where r.id = p_reservation_id;
  -- Runs as its owner: check the caller could reach the reservation itself (current_setting('role')
  -- is the request role begin_request set; current_user here is the owner).
  if location is null or (current_setting('role') = 'couvert_api'
     and not (location = any (public.operator_location_ids())
              or (location = public.request_guest_location_id() and p_reservation_id = public.request_guest_subject_id()))) then
    raise exception 'reservation % not found', p_reservation_id using errcode = 'CV404';
  end if;
  return public.score_no_show_risk(p_reservation_id);
end
$$;
comment on function public.calculate_no_show_risk(uuid) is
  'Scores one reservation''s no-show risk in [0, 1] and writes risk_factors (each factor''s value and contribution).';
alter function public.calculate_no_show_risk(uuid) owner to couvert_definer;
revoke execute on function public.calculate_no_show_risk(uuid) from public;
grant execute on function public.calculate_no_show_risk(uuid) to couvert_api, couvert_worker;

grant select (party_size, channel, payment_status, booked_at, reconfirm_sent_at, reconfirmed_at,
              customer_id, status)
  on public.reservations to couvert_definer;
grant update (no_show_risk_score, risk_factors) on public.reservations to couvert_definer;
create policy "the definer writes risk scores" on public.reservations for update to couvert_definer
  using (true) with check (true);
grant select on public.locations to couvert_definer;
create policy "the definer reads every location" on public.locations for select to couvert_definer using (true);

-- Recomputed when the reservation's inputs change ...
create function public.reservations_rescore() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.status in ('draft', 'pending_payment', 'option', 'confirmed') then
    perform public.score_no_show_risk(new.id);
  end if;
  return null;
end
$$;
alter function public.reservations_rescore() owner to couvert_definer;
create trigger reservations_rescore
  -- Not on status: the score does not read it, and the booking's own first move would score twice.
  after insert or update of party_size, start_at, booked_at, channel, payment_status, reconfirm_sent_at,
    reconfirmed_at, customer_id
  on public.reservations
  for each row execute function public.reservations_rescore();

-- ... and when the guest's history changes: their next upcoming reservations at that location.
create function public.customers_rescore_upcoming() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  upcoming uuid;
begin
  for upcoming in
    select res.id from public.reservations res
    where res.location_id = new.location_id and res.customer_id = new.id
      and res.status in ('draft', 'pending_payment', 'option', 'confirmed')
    -- The next few are what a host acts on; a guest (or a company account) with hundreds booked
    -- ahead must not make one no-show cost hundreds of scorings.  The rest are rescored when they
    -- change, or when the next outcome comes closer to them.
    order by res.start_at limit 5
  loop
    perform public.score_no_show_risk(upcoming);
  end loop;
  return null;
end
$$;
alter function public.customers_rescore_upcoming() owner to couvert_definer;
grant select (location_id, customer_id, status) on public.reservations to couvert_definer;
create index reservations_customer_upcoming_idx on public.reservations (location_id, customer_id, start_at)
  where status in ('draft', 'pending_payment', 'option', 'confirmed');
create trigger customers_rescore_upcoming
  after update of total_visits, no_show_count, cancel_count on public.customers
  for each row when ((old.total_visits, old.no_show_count, old.cancel_count)
                     is distinct from (new.total_visits, new.no_show_count, new.cancel_count))
  execute function public.customers_rescore_upcoming();

-- A dropped draft (its payment could not start) is not a guest's cancellation; and a scored
-- reservation that gets (or loses) an outcome updates the location's risk calibration.
create or replace function public.apply_customer_stats() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  resolved constant text[] := array['completed', 'no_show'];
  direction int := (new.status = any (resolved))::int - (old.status = any (resolved))::int;
begin
  if direction <> 0 and old.risk_factors ? 'raw_score' then
    insert into public.risk_calibration as c (location_id, outcomes, no_shows, sum_raw_scores)
    values (new.location_id, direction, direction * ((new.status = 'no_show' or old.status = 'no_show')::int),
            direction * (old.risk_factors ->> 'raw_score')::double precision)
    on conflict (location_id) do update
      set outcomes = c.outcomes + excluded.outcomes, no_shows = c.no_shows + excluded.no_shows,
          sum_raw_scores = c.sum_raw_scores + excluded.sum_raw_scores;
  end if;
  -- Only outcomes and cancellations move a guest's statistics: confirming, seating or paying do not
  -- touch the customer row at all.
  if new.customer_id is null
     or not (new.status in ('completed', 'no_show', 'cancelled') or old.status in ('completed', 'no_show', 'cancelled')) then
    return null;
  end if;
  update public.customers c
  set total_visits = c.total_visits + (new.status = 'completed')::int - (old.status = 'completed')::int,
      first_visit_at = case when new.status = 'completed' then coalesce(c.first_visit_at, new.completed_at)
                            else c.first_visit_at end,
      last_visit_at = case when new.status = 'completed'
                           then greatest(coalesce(c.last_visit_at, new.completed_at), new.completed_at)
                           else c.last_visit_at end,
      no_show_count = c.no_show_count + (new.status = 'no_show')::int - (old.status = 'no_show')::int,
      cancel_count = c.cancel_count
                     + (new.status = 'cancelled' and new.cancelled_by is not distinct from 'guest'
                        and old.status <> 'draft')::int
                     - (old.status = 'cancelled' and old.cancelled_by is not distinct from 'guest')::int
  where c.location_id = new.location_id and c.id = new.customer_id;
  return null;
end
$$;
