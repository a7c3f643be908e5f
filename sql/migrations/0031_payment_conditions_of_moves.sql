-- Two moves of the status machine get the conditions the lifecycle gives them (docs/decisions.md,
-- "Booking" and "Lifecycle and money"):
--   * draft -> pending_payment only for a reservation whose terms take a payment, that owes it, and
--     whose PaymentIntent exists.  The booking makes that move once it has attached the intent;
--     anyone else's (a guest holding a waitlist offer's link, an operator) left a reservation waiting
--     for a payment that never comes, until the hold sweep cancelled it and told the guest.
--   * draft -> option only on terms that take no payment.  An option is confirmed without one, and
--     the lifecycle has no way for it to collect a deposit, so an option on a deposit or prepayment
--     ticket seated a party that never paid.
-- The rest of the function is 0017's.
create or replace function public.transition_reservation_status(
  p_reservation_id uuid,
  p_new_status text,
  p_reason text,
  p_now timestamptz,
  p_expected_from text default null)
returns jsonb
language plpgsql as $$
declare
  r public.reservations;
  allowed text[];
  actor text;
  refund bigint := 0;
  currency text;
  kind text;
begin
  select * into r from public.reservations where id = p_reservation_id for update;
  if not found then
    raise exception 'reservation % not found', p_reservation_id using errcode = 'CV404';
  end if;
  -- Who acts is the request's identity, never a parameter (docs/decisions.md, "Security").
  actor := public.request_actor(r.location_id);
  if actor is null then
    raise exception 'no one in this request may change reservation %', p_reservation_id using errcode = '42501';
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
    raise exception 'cannot go from % to % as %', r.status, p_new_status, actor
      using errcode = 'CV409', detail = r.status;
  end if;
  -- An option past its expiry holds nothing (docs/engine.md §6): confirming it now would seat a
  -- party the engine no longer counts.  An operator re-books it through the engine first, which
  -- clears the expiry (docs/decisions.md).
  if r.status = 'option' and p_new_status = 'confirmed' and r.option_expires_at <= p_now then
    raise exception 'the option expired at %', r.option_expires_at using errcode = 'CV410', detail = r.status;
  end if;
  -- A draft whose hold lapsed (a waitlist offer not taken in time) held nothing since: it is not
  -- confirmed now, when the engine no longer counts it.
  if r.status = 'draft' and p_new_status in ('confirmed', 'pending_payment', 'option') and r.hold_expires_at <= p_now then
    raise exception 'the hold lapsed at %', r.hold_expires_at using errcode = 'CV410', detail = 'hold_expired';
  end if;
  -- A reservation that owes a deposit is confirmed by its payment, never straight from the draft.
  if r.status = 'draft' and p_new_status = 'confirmed' and r.payment_status = 'pending' then
    raise exception 'a reservation that owes a payment is confirmed by the payment' using errcode = 'CV409', detail = r.status;
  end if;
  -- It waits for that payment only once there is one to wait for: it owes it, and its PaymentIntent exists.
  if r.status = 'draft' and p_new_status = 'pending_payment'
     and (coalesce(r.policy_snapshot ->> 'payment_type', 'none') = 'none'
          or r.payment_status is distinct from 'pending' or r.payment_intent_id is null) then
    raise exception 'a reservation waits for a payment only when it owes one and its PaymentIntent exists'
      using errcode = 'CV409', detail = r.status;
  end if;
  -- An option is confirmed without a payment: it is placed on terms that take none.
  if r.status = 'draft' and p_new_status = 'option'
     and (coalesce(r.policy_snapshot ->> 'payment_type', 'none') <> 'none'
          or r.payment_status is distinct from 'none') then
    raise exception 'an option cannot be placed on a ticket that takes a payment' using errcode = 'CV409', detail = r.status;
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

  refund := public.refund_cents(r, p_new_status, actor, p_now);

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
          public.request_user_uuid(), actor);

  kind := case p_new_status when 'confirmed' then 'message.confirmation'
                            when 'option' then 'message.confirmation'
                            when 'cancelled' then 'message.cancellation'
                            when 'no_show' then 'message.no_show' end;
  -- A draft was never promised to anyone: dropping it (a payment that could not start, an
  -- abandoned booking) tells the guest nothing.
  if kind is not null and not (r.status = 'draft' and p_new_status = 'cancelled')
     and not (r.status = 'seated' and p_new_status = 'confirmed') then
    insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
    values (r.location_id, r.id, kind, jsonb_build_object('from', r.status, 'to', p_new_status), p_now);
  end if;
  if refund > 0 and r.payment_intent_id is not null then
    select l.currency into currency from public.locations l where l.id = r.location_id;
    insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
    values (r.location_id, r.id, 'stripe.refund',
            jsonb_build_object('payment_intent_id', r.payment_intent_id, 'amount_cents', refund,
                               'currency', currency, 'reason', p_new_status), p_now);
  end if;
  if r.status = 'pending_payment' and p_new_status = 'cancelled' and r.payment_intent_id is not null then
    insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
    values (r.location_id, r.id, 'stripe.cancel_payment_intent',
            jsonb_build_object('payment_intent_id', r.payment_intent_id), p_now);
  end if;
  return jsonb_build_object('changed', true, 'from', r.status, 'to', p_new_status, 'refund_cents', refund);
end
$$;
