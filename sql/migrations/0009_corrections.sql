-- Corrections a host would hit (docs/decisions.md).

-- A location-wide `special` exception labels (and, with override times, re-times) the shifts that
-- run that day; only a shift-specific `special` makes a shift run on a weekday outside its
-- days_of_week.  Before, a location-wide special woke every shift, even one that never runs then.
create or replace function public.get_effective_shift_schedule(p_location_id uuid, p_date date)
returns table (
  shift_id uuid, name text, short_name text, start_time time, end_time time,
  arrival_interval_minutes int, color text, sort_order int,
  closed boolean, label text, exception_type text)
language plpgsql stable as $$
begin
  return query
  select s.id, s.name, s.short_name,
         case when e.exception_type in ('modified', 'special')
              then coalesce(e.override_start_time, s.start_time) else s.start_time end,
         case when e.exception_type in ('modified', 'special')
              then coalesce(e.override_end_time, s.end_time) else s.end_time end,
         s.arrival_interval_minutes, s.color, s.sort_order,
         coalesce(e.exception_type = 'closed', false),
         e.label, e.exception_type
  from public.shifts s
  left join lateral (
    select x.shift_id, x.exception_type, x.override_start_time, x.override_end_time, x.label
    from public.shift_exceptions x
    where x.location_id = s.location_id
      and x.exception_date = p_date
      and (x.shift_id = s.id or x.shift_id is null)
    order by x.shift_id nulls last
    limit 1
  ) e on true
  where s.location_id = p_location_id
    and s.is_active
    and (extract(isodow from p_date)::int = any (s.days_of_week)
         or (e.exception_type = 'special' and e.shift_id is not null))
  order by s.sort_order, s.start_time, s.name;
end
$$;

-- The status machine refuses to confirm an expired option (SQLSTATE CV410, answered 409 with
-- reason_code option_expired).  Otherwise unchanged from 0006_one_clock.sql.
create or replace function public.transition_reservation_status(
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
  -- An option past its expiry holds nothing (engine.md section 6): confirming it now would seat a
  -- party the engine no longer counts.  An operator re-books it through the engine first, which
  -- clears the expiry (docs/decisions.md).
  if r.status = 'option' and p_new_status = 'confirmed' and r.option_expires_at <= p_now then
    raise exception 'the option expired at %', r.option_expires_at using errcode = 'CV410', detail = r.status;
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

-- Operator-set tags live in their own column, so the automatic ones (lifecycle.md "Customer stats")
-- can be recomputed without ever stripping an operator's "vip".  `tags` is what everyone reads: the
-- operator's tags, then the automatic ones that apply.
alter table public.customers add column operator_tags jsonb not null default '[]'::jsonb;
alter table public.customers add constraint customers_operator_tags_array
  check (jsonb_typeof(operator_tags) = 'array');
comment on column public.customers.operator_tags is 'Tags an operator set (vip, allergy: nuts); kept as they are.';
comment on column public.customers.tags is 'operator_tags followed by the automatic tags that apply; derived, not written.';

create or replace function public.customer_tags(p_operator_tags jsonb, p_visits int, p_no_shows int, p_cancels int)
returns jsonb
language sql immutable as $$
  select coalesce(jsonb_agg(tag order by n), '[]'::jsonb)
  from (select tag, min(n) as n
        from (select t.tag, t.n from jsonb_array_elements_text(coalesce(p_operator_tags, '[]')) with ordinality t(tag, n)
              union all
              select auto.tag, 1000 + auto.n from (values
                ('new_guest', p_visits = 0, 1),
                ('vip', p_visits >= 10, 2),
                ('frequent_canceller', p_cancels >= 3 and p_cancels > p_visits, 3),
                ('frequent_no_show', p_no_shows >= 2, 4)) auto(tag, applies, n)
              where auto.applies) all_tags
        group by tag) distinct_tags
$$;

-- Tags that were there before this migration and are not automatic were set by an operator.
update public.customers
set operator_tags = coalesce((select jsonb_agg(t) from jsonb_array_elements_text(tags) t
                              where t not in ('new_guest', 'vip', 'frequent_canceller', 'frequent_no_show')),
                             '[]'::jsonb);

create or replace function public.customers_refresh_tags() returns trigger
language plpgsql as $$
begin
  new.tags := public.customer_tags(new.operator_tags, new.total_visits, new.no_show_count, new.cancel_count);
  return new;
end
$$;

drop trigger customers_refresh_tags on public.customers;
create trigger customers_refresh_tags
  before insert or update of tags, operator_tags, total_visits, no_show_count, cancel_count on public.customers
  for each row execute function public.customers_refresh_tags();
drop function public.merge_auto_tags(jsonb, int, int, int);

-- The country national phone numbers are read in (ISO 3166-1 alpha-2, e.g. NL): a Dutch guest types
-- "06 12345678", we store +31612345678.
alter table public.locations add column country text;
alter table public.locations add constraint locations_country_iso check (country ~ '^[A-Z]{2}$');
comment on column public.locations.country is 'ISO 3166-1 alpha-2; national phone numbers are read in it.';
