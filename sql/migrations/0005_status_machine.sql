-- The status machine (lifecycle.md): one RPC makes every transition, guarded by the
-- reservation_status_transitions table; customer statistics follow by trigger; money and
-- messages become outbox events in the same transaction.
--
-- Errors raised here carry their own SQLSTATEs, mapped once in Python:
--   CV404  reservation not found (or hidden by row-level security)
--   CV409  transition not allowed; DETAIL is the current status

-- Auto tags (lifecycle.md "Customer stats"); tags an operator set are kept.
create or replace function public.merge_auto_tags(p_tags jsonb, p_visits int, p_no_shows int, p_cancels int)
returns jsonb
language sql immutable as $$
  select coalesce((select jsonb_agg(t) from jsonb_array_elements_text(coalesce(p_tags, '[]')) t
                   where t not in ('new_guest', 'vip', 'frequent_canceller', 'frequent_no_show')), '[]'::jsonb)
      || coalesce((select jsonb_agg(tag) from (values
           ('new_guest', p_visits = 0),
           ('vip', p_visits >= 10),
           ('frequent_canceller', p_cancels >= 3 and p_cancels > p_visits),
           ('frequent_no_show', p_no_shows >= 2)) auto(tag, applies)
         where applies), '[]'::jsonb)
$$;

create or replace function public.customers_refresh_tags() returns trigger
language plpgsql as $$
begin
  new.tags := public.merge_auto_tags(new.tags, new.total_visits, new.no_show_count, new.cancel_count);
  return new;
end
$$;

create trigger customers_refresh_tags
  before insert or update of tags, total_visits, no_show_count, cancel_count on public.customers
  for each row execute function public.customers_refresh_tags();

-- Statistics follow status changes; a correction (no_show -> seated) takes its count back.
create or replace function public.apply_customer_stats() returns trigger
language plpgsql as $$
begin
  if new.customer_id is null then
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
                     + (new.status = 'cancelled' and new.cancelled_by is not distinct from 'guest')::int
                     - (old.status = 'cancelled' and old.cancelled_by is not distinct from 'guest')::int
  where c.location_id = new.location_id and c.id = new.customer_id;
  return null;
end
$$;

create trigger reservations_apply_customer_stats
  after update of status on public.reservations
  for each row when (old.status is distinct from new.status)
  execute function public.apply_customer_stats();

-- Money rules, in cents (no float money): what a cancellation or no-show gives back, always from
-- the policy frozen at booking.
create or replace function public.refund_cents(
  p_reservation public.reservations, p_to text, p_actor_type text, p_now timestamptz)
returns bigint
language plpgsql stable as $$
declare
  paid bigint := case when p_reservation.payment_status = 'paid'
                      then round(coalesce(p_reservation.payment_amount, 0) * 100)::bigint else 0 end;
  terms jsonb := p_reservation.policy_snapshot;
begin
  if paid = 0 then
    return 0;
  end if;
  if p_to = 'no_show' then
    return case when coalesce((terms ->> 'noshow_keep_deposit')::boolean, true) then 0 else paid end;
  end if;
  if p_to <> 'cancelled' then
    return 0;
  end if;
  if p_actor_type in ('operator', 'assistant') then
    return paid;
  end if;
  if p_now <= p_reservation.start_at - make_interval(hours => coalesce((terms ->> 'cancel_free_hours')::int, 0)) then
    return paid;
  end if;
  return paid * coalesce((terms ->> 'cancel_refund_pct')::int, 100) / 100;
end
$$;

create or replace function public.transition_reservation_status(
  p_reservation_id uuid,
  p_new_status text,
  p_reason text default null,
  p_actor_type text default 'system',
  p_actor_id uuid default null,
  p_now timestamptz default now(),
  p_expected_from text default null)
returns jsonb
language plpgsql as $$
declare
  r public.reservations;
  allowed text[];
  actor text := case when p_actor_type = 'assistant' then 'operator' else p_actor_type end;
  refund bigint := 0;
  currency text;
  kind text;
begin
  select * into r from public.reservations where id = p_reservation_id for update;
  if not found then
    raise exception 'reservation % not found', p_reservation_id using errcode = 'CV404';
  end if;
  -- A transition that already happened (a webhook delivered twice) is a no-op success.
  if r.status = p_new_status then
    return jsonb_build_object('changed', false, 'from', r.status, 'to', p_new_status, 'refund_cents', 0);
  end if;
  -- Optimistic concurrency: a host acting on what their screen showed (p_expected_from) is refused
  -- when another host changed the reservation meanwhile, even if the new move would be allowed.
  if p_expected_from is not null and r.status <> p_expected_from then
    raise exception 'the reservation is % now, not %', r.status, p_expected_from
      using errcode = 'CV409', detail = r.status;
  end if;
  select t.actor_types into allowed
  from public.reservation_status_transitions t
  where t.from_status = r.status and t.to_status = p_new_status;
  if allowed is null or not (actor = any (allowed)) then
    raise exception 'cannot go from % to % as %', r.status, p_new_status, p_actor_type
      using errcode = 'CV409', detail = r.status;
  end if;
  if p_new_status = 'no_show'
     and p_now < r.start_at + make_interval(mins => coalesce((r.policy_snapshot ->> 'noshow_mark_after_minutes')::int, 15)) then
    raise exception 'too early to mark a no-show' using errcode = 'CV409', detail = r.status;
  end if;
  if r.status = 'draft' and p_new_status = 'option'
     and not coalesce((select s.options_enabled from public.reservation_settings s
                       where s.location_id = r.location_id), false) then
    raise exception 'options are not enabled at this location' using errcode = 'CV409', detail = r.status;
  end if;

  refund := public.refund_cents(r, p_new_status, p_actor_type, p_now);

  update public.reservations
  set status = p_new_status,
      seated_at = case when p_new_status = 'seated' then p_now
                       when r.status = 'seated' and p_new_status = 'confirmed' then null
                       else seated_at end,
      completed_at = case when p_new_status = 'completed' then p_now else completed_at end,
      cancelled_at = case when p_new_status = 'cancelled' then p_now else cancelled_at end,
      cancelled_by = case when p_new_status = 'cancelled'
                          then case actor when 'operator' then 'operator' when 'guest' then 'guest' else 'system' end
                          else cancelled_by end,
      cancellation_reason = case when p_new_status = 'cancelled' then p_reason else cancellation_reason end,
      option_expires_at = case when p_new_status = 'option'
                               then coalesce(option_expires_at, p_now + make_interval(hours => coalesce(
                                 (select s.option_default_hours from public.reservation_settings s
                                  where s.location_id = r.location_id), 48)))
                               else option_expires_at end
  where id = r.id and status = r.status;

  insert into public.audit_log (location_id, entity_type, entity_id, action, old_value, new_value,
                                performed_by, performed_by_type)
  values (r.location_id, 'reservation', r.id, 'status_change', jsonb_build_object('status', r.status),
          jsonb_build_object('status', p_new_status, 'reason', p_reason, 'refund_cents', refund),
          p_actor_id, p_actor_type);

  kind := case p_new_status when 'confirmed' then 'message.confirmation'
                            when 'option' then 'message.confirmation'
                            when 'cancelled' then 'message.cancellation'
                            when 'no_show' then 'message.no_show' end;
  if kind is not null and not (r.status = 'seated' and p_new_status = 'confirmed') then
    insert into public.outbox_events (location_id, reservation_id, kind, payload)
    values (r.location_id, r.id, kind, jsonb_build_object('from', r.status, 'to', p_new_status));
  end if;
  if refund > 0 and r.payment_intent_id is not null then
    select l.currency into currency from public.locations l where l.id = r.location_id;
    insert into public.outbox_events (location_id, reservation_id, kind, payload)
    values (r.location_id, r.id, 'stripe.refund',
            jsonb_build_object('payment_intent_id', r.payment_intent_id, 'amount_cents', refund,
                               'currency', currency, 'reason', p_new_status));
  end if;
  if r.status = 'pending_payment' and p_new_status = 'cancelled' and r.payment_intent_id is not null then
    insert into public.outbox_events (location_id, reservation_id, kind, payload)
    values (r.location_id, r.id, 'stripe.cancel_payment_intent',
            jsonb_build_object('payment_intent_id', r.payment_intent_id));
  end if;
  return jsonb_build_object('changed', true, 'from', r.status, 'to', p_new_status, 'refund_cents', refund);
end
$$;
comment on function public.transition_reservation_status(uuid, text, text, text, uuid, timestamptz, text) is
  'The only way a reservation changes status: guarded by reservation_status_transitions, audited, with outbox events.';

-- A guest proves access with the manage token; this tells which location to open the guest
-- context for, without revealing whether a reservation exists to a wrong token.
create or replace function public.guest_reservation_location(p_reservation_id uuid, p_token_hash text)
returns uuid
language sql stable security definer set search_path = '' as $$
  select r.location_id from public.reservations r
  where r.id = p_reservation_id and r.manage_token_hash = p_token_hash
$$;
revoke execute on function public.guest_reservation_location(uuid, text) from public;
grant execute on function public.guest_reservation_location(uuid, text) to couvert_api;

-- The outbox dispatcher leases due events for a while, so Stripe is called outside any row lock
-- and a second dispatcher never takes the same event.
create index outbox_events_kind_due_idx on public.outbox_events (kind, next_attempt_at) where status = 'pending';
