-- One clock (docs/decisions.md, "How time flows"): every moment that something is later compared
-- against is written from the caller's `now`, never from the database's clock.  Column defaults of
-- now() stay only where they stamp a record (created_at, updated_at, received_at, applied_at).
--
-- A parameter `p_now timestamptz default now()` quietly brought in the database's clock whenever a
-- caller left it out; the functions below take `p_now` as a required argument instead.  PostgreSQL
-- cannot remove a parameter default in place, so they are dropped and created again.

-- When an outbox event is first due is a decision input of the dispatcher: its writer says when.
alter table public.outbox_events alter column next_attempt_at drop default;

drop function public.release_lapsed_holds(uuid, timestamptz, timestamptz, timestamptz);
create function public.release_lapsed_holds(
  p_location_id uuid, p_from timestamptz, p_to timestamptz, p_now timestamptz)
returns int
language plpgsql as $$
declare released int;
begin
  delete from public.table_occupancies o
  using public.reservations r
  where o.location_id = p_location_id
    and r.location_id = p_location_id
    and o.reservation_id = r.id
    and o.occupied && tstzrange(p_from, p_to, '[)')
    and ((r.status in ('draft', 'pending_payment') and r.hold_expires_at <= p_now)
         or (r.status = 'option' and r.option_expires_at <= p_now));
  get diagnostics released = row_count;
  return released;
end
$$;
comment on function public.release_lapsed_holds(uuid, timestamptz, timestamptz, timestamptz) is
  'Frees the tables of lapsed drafts, payment holds and options of one location in a window, as of p_now.';

-- The status machine, unchanged but for its clock: p_actor_type, p_actor_id and p_now are required
-- (a required parameter cannot follow a defaulted one), and its outbox events are due at p_now.
drop function public.transition_reservation_status(uuid, text, text, text, uuid, timestamptz, text);
create function public.transition_reservation_status(
  p_reservation_id uuid,
  p_new_status text,
  p_reason text,
  p_actor_type text,
  p_actor_id uuid,
  p_now timestamptz,
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
comment on function public.transition_reservation_status(uuid, text, text, text, uuid, timestamptz, text) is
  'The only way a reservation changes status: guarded by reservation_status_transitions, audited, with outbox events due at p_now.';
