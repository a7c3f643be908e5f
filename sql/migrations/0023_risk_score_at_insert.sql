-- A booking's server time, continued (issue 15, item 2; bench/README.md, "Profile of one booking"):
-- a new reservation is scored as it is written, not by updating it right after.
--
-- The risk score (migration 0019) was computed after the insert and written back with an UPDATE: a
-- second version of every new reservation.  The same computation now lives in no_show_risk(), which
-- takes the reservation's inputs as values: a BEFORE INSERT trigger puts its score and factors into
-- the new row, and score_no_show_risk() (the RPC, changes to a reservation, a guest's new history)
-- reads the row, calls it and writes the result as before.  The formula is 0019's, unchanged.
create function public.no_show_risk(
  p_location_id uuid, p_customer_id uuid, p_party_size integer, p_channel text, p_payment_status text,
  p_start_at timestamptz, p_booked_at timestamptz, p_reconfirm_sent_at timestamptz, p_reconfirmed_at timestamptz,
  out score double precision, out factors jsonb)
language plpgsql stable security definer set search_path = '' as $$
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
  raw_score double precision;
  calibration public.risk_calibration;
  observed double precision;
  predicted double precision;
  correction double precision;
  factor_list jsonb := '[]'::jsonb;
begin
  select p_location_id as location_id, p_party_size as party_size, p_channel as channel,
         p_payment_status as payment_status, p_start_at as start_at, p_booked_at as booked_at,
         p_reconfirm_sent_at as reconfirm_sent_at, p_reconfirmed_at as reconfirmed_at,
         coalesce(c.no_show_count, 0) as no_shows, coalesce(c.total_visits, 0) as visits,
         coalesce(c.cancel_count, 0) as cancels, l.timezone
  into r
  from public.locations l
  left join public.customers c on c.location_id = l.id and c.id = p_customer_id
  where l.id = p_location_id;
  if not found then
    return;
  end if;
  select * into calibration from public.risk_calibration c where c.location_id = r.location_id;
  -- The location's own no-show rate, smoothed toward 10 % while it has few outcomes.
  base_rate := (coalesce(calibration.no_shows, 0) + 1.0) / (coalesce(calibration.outcomes, 0) + 10);

  history := r.no_shows + r.visits;
  guest_rate := (r.no_shows + prior_weight * base_rate) / (history + prior_weight);
  logit := ln(guest_rate / (1 - guest_rate));
  factor_list := factor_list || jsonb_build_object('factor', 'guest_no_show_rate', 'value',
    jsonb_build_object('no_shows', r.no_shows, 'visits', r.visits, 'location_rate', round(base_rate::numeric, 4),
                       'smoothed_rate', round(guest_rate::numeric, 4)),
    'contribution', round(logit::numeric, 4));

  -- Late cancellations by the guest say something about commitment too, less than no-shows.
  cancel_rate := r.cancels / (r.cancels + history + prior_weight);
  factor_list := factor_list || jsonb_build_object('factor', 'guest_cancellation_rate', 'value', round(cancel_rate::numeric, 4),
                                           'contribution', round((1.0 * cancel_rate)::numeric, 4));
  logit := logit + 1.0 * cancel_rate;

  if history = 0 then
    factor_list := factor_list || jsonb_build_object('factor', 'first_visit', 'value', true, 'contribution', 0.1);
    logit := logit + 0.1;
  end if;

  -- Plans made long ahead are forgotten more often; centred on a week.  (Unknown for rows written
  -- before booked_at existed: no contribution.)
  if r.booked_at is not null then
    lead_days := greatest(extract(epoch from r.start_at - r.booked_at) / 86400, 0);
    factor_list := factor_list || jsonb_build_object('factor', 'lead_time_days', 'value', round(lead_days::numeric, 1),
      'contribution', round((0.3 * (ln(1 + lead_days) - ln(8)))::numeric, 4));
    logit := logit + 0.3 * (ln(1 + lead_days) - ln(8));
  end if;

  factor_list := factor_list || jsonb_build_object('factor', 'party_size', 'value', r.party_size,
    'contribution', round((-0.05 * (least(r.party_size, 12) - 2))::numeric, 4));
  logit := logit - 0.05 * (least(r.party_size, 12) - 2);

  factor_list := factor_list || jsonb_build_object('factor', 'channel', 'value', r.channel, 'contribution',
    case r.channel when 'widget' then 0.2 when 'google' then 0.3 when 'third_party' then 0.3
                   when 'phone' then -0.2 when 'walk_in' then -3 else 0 end);
  logit := logit + case r.channel when 'widget' then 0.2 when 'google' then 0.3 when 'third_party' then 0.3
                                  when 'phone' then -0.2 when 'walk_in' then -3 else 0 end;

  if r.payment_status in ('paid', 'partial_refund') then
    factor_list := factor_list || jsonb_build_object('factor', 'payment_taken', 'value', true, 'contribution', -1.2);
    logit := logit - 1.2;
  end if;

  if r.reconfirmed_at is not null then
    factor_list := factor_list || jsonb_build_object('factor', 'reconfirmation', 'value', 'reconfirmed', 'contribution', -1.1);
    logit := logit - 1.1;
  elsif r.reconfirm_sent_at is not null then
    factor_list := factor_list || jsonb_build_object('factor', 'reconfirmation', 'value', 'asked, no answer yet',
                                             'contribution', 0.6);
    logit := logit + 0.6;
  end if;

  local_start := r.start_at at time zone r.timezone;
  factor_list := factor_list || jsonb_build_object('factor', 'weekday', 'value', to_char(local_start, 'FMDay'),
    'contribution', case when extract(isodow from local_start) in (5, 6) then -0.15 else 0 end);
  logit := logit + case when extract(isodow from local_start) in (5, 6) then -0.15 else 0 end;
  factor_list := factor_list || jsonb_build_object('factor', 'hour', 'value', extract(hour from local_start),
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
    factor_list := factor_list || jsonb_build_object('factor', 'location_calibration',
      'value', jsonb_build_object('outcomes', calibration.outcomes, 'observed_rate', round(observed::numeric, 4),
                                  'predicted_rate', round(predicted::numeric, 4)),
      'contribution', round(correction::numeric, 4));
    logit := logit + correction;
  end if;
  score := 1 / (1 + exp(-logit));
  factors := jsonb_build_object('model', 'couvert-risk-1', 'raw_score', raw_score, 'factors', factor_list);
end
$$;
comment on function public.no_show_risk(uuid, uuid, integer, text, text, timestamptz, timestamptz, timestamptz, timestamptz) is
  'The no-show risk score and its factors for a reservation''s inputs (the formula of score_no_show_risk); reads the customer''s counts and the location''s calibration.';
alter function public.no_show_risk(uuid, uuid, integer, text, text, timestamptz, timestamptz, timestamptz, timestamptz)
  owner to couvert_definer;
revoke execute on function public.no_show_risk(uuid, uuid, integer, text, text, timestamptz, timestamptz, timestamptz, timestamptz)
  from public;

create or replace function public.score_no_show_risk(p_reservation_id uuid)
returns double precision
language plpgsql security definer set search_path = '' as $$
declare
  res record;
  risk record;
begin
  select r.location_id, r.customer_id, r.party_size, r.channel, r.payment_status, r.start_at, r.booked_at,
         r.reconfirm_sent_at, r.reconfirmed_at
  into res
  from public.reservations r
  where r.id = p_reservation_id;
  if not found then
    return null;
  end if;
  select * into risk from public.no_show_risk(res.location_id, res.customer_id, res.party_size, res.channel,
    res.payment_status, res.start_at, res.booked_at, res.reconfirm_sent_at, res.reconfirmed_at);
  if risk.factors is null then  -- no such location: nothing to score (as before)
    return null;
  end if;
  update public.reservations
  set no_show_risk_score = risk.score, risk_factors = risk.factors
  where id = p_reservation_id;
  return risk.score;
end
$$;

create function public.reservations_score_new() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.status in ('draft', 'pending_payment', 'option', 'confirmed') then
    select risk.score, risk.factors into new.no_show_risk_score, new.risk_factors
    from public.no_show_risk(new.location_id, new.customer_id, new.party_size, new.channel, new.payment_status,
                             new.start_at, new.booked_at, new.reconfirm_sent_at, new.reconfirmed_at) risk;
  end if;
  return new;
end
$$;
alter function public.reservations_score_new() owner to couvert_definer;
create trigger reservations_score_new
  before insert on public.reservations
  for each row execute function public.reservations_score_new();

-- The rescoring trigger keeps its columns but no longer fires on insert.
drop trigger reservations_rescore on public.reservations;
create trigger reservations_rescore
  -- Not on status: the score does not read it, and the booking's own first move would score twice.
  after update of party_size, start_at, booked_at, channel, payment_status, reconfirm_sent_at,
    reconfirmed_at, customer_id
  on public.reservations
  for each row execute function public.reservations_rescore();
