-- A guest request sees only what it is about; the database derives who acts (docs/decisions.md,
-- "Security").
--
-- Until now a guest transaction could read every customer and reservation of its location, and
-- transition_reservation_status took the actor from its caller.  Now:
-- * a guest request names its subject (the reservation or waitlist entry it is about) in
--   couvert.guest_subject_id, and the guest policies reach that row only;
-- * customers are found or created through one SECURITY DEFINER function that answers an id, so
--   a guest never reads a customer record;
-- * what every booking must see of other reservations (their capacity: times, party sizes, tables,
--   statuses - no names, no contact details) comes through the view capacity_bookings;
-- * the status machine and the audit trail take the actor from the request: the worker role is the
--   system, a member of the location is an operator, the guest context is the guest.

create function public.request_guest_subject_id() returns uuid
language sql stable as $$
  select nullif(current_setting('couvert.guest_subject_id', true), '')::uuid
$$;

create function public.request_user_uuid() returns uuid
language sql stable as $$
  select case when public.request_user_id() ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then public.request_user_id()::uuid end
$$;

-- Who acts in this request, for a row of p_location_id: null when no one may.  For functions that
-- run as their caller (in a SECURITY DEFINER function current_user is the function's owner).
create function public.request_actor(p_location_id uuid) returns text
language sql stable as $$
  select case
    when current_user = 'couvert_worker' then 'system'
    when current_user <> 'couvert_api' then 'system'  -- the owner's own session: maintenance
    when p_location_id = any (public.operator_location_ids()) then 'operator'
    when p_location_id = public.request_guest_location_id() then 'guest'
  end
$$;

-- Guests book and pay their own reservations: the booking's first move is the booker's, and so is
-- dropping the draft when its payment cannot start.
update public.reservation_status_transitions set actor_types = array['system', 'guest', 'operator']
where (from_status, to_status) in (('draft', 'pending_payment'), ('draft', 'confirmed'), ('draft', 'cancelled'));

-- Guest policies, narrowed to the request's subject.
drop policy "members and guests of a location can read its reservations" on public.reservations;
drop policy "members and guests of a location can add reservations" on public.reservations;
drop policy "members and guests of a location can change reservations" on public.reservations;
drop policy "members and guests of a location can read its customers" on public.customers;
drop policy "members and guests of a location can add customers" on public.customers;
drop policy "members and guests of a location can change customers" on public.customers;
drop policy "members and guests of a location can read its waitlist_entries" on public.waitlist_entries;
drop policy "members and guests of a location can add waitlist_entries" on public.waitlist_entries;
drop policy "members and guests of a location can change waitlist_entries" on public.waitlist_entries;

do $$
declare
  t text;
begin
  foreach t in array array['reservations', 'waitlist_entries'] loop
    execute format($p$create policy %I on public.%I for select to couvert_api
      using (location_id = any ((select public.operator_location_ids())::uuid[])
             or (location_id = (select public.request_guest_location_id()) and id = (select public.request_guest_subject_id())))$p$,
      format('members of a location, and a guest its own one, can read %s', t), t);
    execute format($p$create policy %I on public.%I for insert to couvert_api
      with check (location_id = any ((select public.operator_location_ids())::uuid[])
                  or (location_id = (select public.request_guest_location_id()) and id = (select public.request_guest_subject_id())))$p$,
      format('members of a location, and a guest its own one, can add %s', t), t);
    execute format($p$create policy %I on public.%I for update to couvert_api
      using (location_id = any ((select public.operator_location_ids())::uuid[])
             or (location_id = (select public.request_guest_location_id()) and id = (select public.request_guest_subject_id())))
      with check (location_id = any ((select public.operator_location_ids())::uuid[])
                  or (location_id = (select public.request_guest_location_id()) and id = (select public.request_guest_subject_id())))$p$,
      format('members of a location, and a guest its own one, can change %s', t), t);
  end loop;
end
$$;
create policy "members of a location can read its customers" on public.customers for select to couvert_api
  using (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "members of a location can add customers" on public.customers for insert to couvert_api
  with check (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "members of a location can change customers" on public.customers for update to couvert_api
  using (location_id = any ((select public.operator_location_ids())::uuid[]))
  with check (location_id = any ((select public.operator_location_ids())::uuid[]));

-- What couvert_definer may do for the functions it owns.
grant select, insert, update on public.customers to couvert_definer;
create policy "the definer reads every customer" on public.customers for select to couvert_definer using (true);
create policy "the definer adds customers" on public.customers for insert to couvert_definer with check (true);
create policy "the definer keeps customer stats" on public.customers for update to couvert_definer
  using (true) with check (true);
grant select (shift_id, ticket_id, reservation_date, start_at, end_at, occupied_until, party_size, status,
              is_squeeze, hold_expires_at, option_expires_at, completed_at, table_id, table_group_id)
  on public.reservations to couvert_definer;
grant select, delete on public.table_occupancies to couvert_definer;
create policy "the definer reads every occupancy" on public.table_occupancies for select to couvert_definer using (true);
create policy "the definer frees lapsed holds" on public.table_occupancies for delete to couvert_definer using (true);

-- The customer a booking's contact details belong to: found by (location, lower(email)) or created,
-- never updated; the caller learns the id and nothing else.
create function public.find_or_create_customer(
  p_location_id uuid, p_first_name text, p_last_name text, p_email text, p_phone_number text, p_locale text)
returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  found_id uuid;
begin
  -- Not request_actor(): inside this function current_user is its owner (current_setting('role') is
  -- the request role).  Bookings and waitlist joins are requests of the API role, for a location the
  -- request may read; waitlist offers are the worker's.
  if not (p_location_id = any (public.readable_location_ids()) or current_setting('role') = 'couvert_worker') then
    raise exception 'not a request of location %', p_location_id using errcode = '42501';
  end if;
  insert into public.customers (location_id, first_name, last_name, email, phone_number, locale)
  values (p_location_id, p_first_name, p_last_name, p_email, p_phone_number, p_locale)
  on conflict (location_id, lower(email)) do nothing
  returning id into found_id;
  if found_id is null then
    select c.id into found_id from public.customers c
    where c.location_id = p_location_id and lower(c.email) = lower(p_email);
  end if;
  return found_id;
end
$$;
alter function public.find_or_create_customer(uuid, text, text, text, text, text) owner to couvert_definer;
revoke execute on function public.find_or_create_customer(uuid, text, text, text, text, text) from public;
grant execute on function public.find_or_create_customer(uuid, text, text, text, text, text) to couvert_api, couvert_worker;

-- Customer stats follow their reservations, also when a guest cancels (who cannot write customers).
alter function public.apply_customer_stats() security definer;
alter function public.apply_customer_stats() set search_path = '';
alter function public.apply_customer_stats() owner to couvert_definer;

-- A booking frees lapsed holds of other guests' reservations, which it cannot read.
alter function public.release_lapsed_holds(uuid, timestamptz, timestamptz, timestamptz) security definer;
alter function public.release_lapsed_holds(uuid, timestamptz, timestamptz, timestamptz) set search_path = '';
alter function public.release_lapsed_holds(uuid, timestamptz, timestamptz, timestamptz) owner to couvert_definer;

-- Other reservations as capacity: no guest, no contact, no notes.  Owned by couvert_definer, so it
-- reads every reservation; it shows those of the locations this request may read.
create view public.capacity_bookings with (security_barrier) as
select r.id, r.location_id, r.shift_id, r.ticket_id, r.reservation_date, r.start_at, r.end_at,
       r.occupied_until, r.party_size, r.status, r.is_squeeze, r.hold_expires_at, r.option_expires_at,
       r.completed_at, r.table_id, r.table_group_id
from public.reservations r
where r.location_id = any ((select public.readable_location_ids())::uuid[])
   or current_user <> 'couvert_api';  -- the worker, and the owner's own sessions, see every location
comment on view public.capacity_bookings is
  'Reservations as capacity (times, sizes, tables, statuses), for availability; no personal data.';
grant select (id, location_id) on public.reservations to couvert_definer;
alter view public.capacity_bookings owner to couvert_definer;
grant select on public.capacity_bookings to couvert_api, couvert_worker;

-- The status machine with the actor derived, not passed.
drop function public.transition_reservation_status(uuid, text, text, text, uuid, timestamptz, text);
create function public.transition_reservation_status(
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
comment on function public.transition_reservation_status(uuid, text, text, timestamptz, text) is
  'The only way a reservation changes status: guarded by reservation_status_transitions, audited, with outbox events; the actor is the request''s.';

-- The sweeps call the status machine as the worker: the system.
create or replace function public.sweep_statuses(
  p_job text, p_now timestamptz, p_location_id uuid, p_limit int)
returns int
language plpgsql as $$
declare
  due uuid[];
  target text := case p_job when 'no_shows' then 'no_show' else 'cancelled' end;
  reason text;
  id uuid;
begin
  -- One plain query per job (not one CASE), so each can use the partial index of its predicate.
  if p_job = 'no_shows' then
    reason := 'not seated after the no-show grace';
    select array_agg(r.id) into due from (
      select r.id from public.reservations r
      where r.status = 'confirmed' and r.start_at <= p_now
        and r.start_at + make_interval(mins => coalesce((r.policy_snapshot ->> 'noshow_mark_after_minutes')::int, 15)) <= p_now
        and (p_location_id is null or r.location_id = p_location_id)
      order by r.start_at limit p_limit for update of r skip locked) r;
  elsif p_job = 'option_expiry' then
    reason := 'option expired';
    select array_agg(r.id) into due from (
      select r.id from public.reservations r
      where r.status = 'option' and r.option_expires_at <= p_now
        and (p_location_id is null or r.location_id = p_location_id)
      order by r.option_expires_at limit p_limit for update of r skip locked) r;
  elsif p_job in ('payment_hold_expiry', 'abandoned_drafts') then
    reason := case p_job when 'payment_hold_expiry' then 'payment hold expired' else 'draft abandoned' end;
    select array_agg(r.id) into due from (
      select r.id from public.reservations r
      where r.status = case p_job when 'payment_hold_expiry' then 'pending_payment' else 'draft' end
        and r.hold_expires_at <= p_now
        and (p_location_id is null or r.location_id = p_location_id)
      order by r.hold_expires_at limit p_limit for update of r skip locked) r;
  elsif p_job = 'reconfirm_cancellations' then
    reason := 'reconfirmation not received';
    select array_agg(r.id) into due from (
      select r.id from public.reservations r
      left join public.reservation_settings s on s.location_id = r.location_id
      where r.status = 'confirmed' and r.reconfirmed_at is null and r.reconfirm_sent_at <= p_now
        and coalesce((r.policy_snapshot ->> 'reconfirm_required')::boolean, false)
        and r.reconfirm_sent_at + make_interval(hours => coalesce(s.reconfirm_grace_hours, 6)) <= p_now
        and (p_location_id is null or r.location_id = p_location_id)
      order by r.reconfirm_sent_at limit p_limit for update of r skip locked) r;
  else
    raise exception 'sweep_statuses: unknown job %', p_job using errcode = '22023';
  end if;
  foreach id in array coalesce(due, '{}') loop
    perform public.transition_reservation_status(id, target, reason, p_now);
  end loop;
  return coalesce(array_length(due, 1), 0);
end
$$;

-- Audit rows name the request's actor whatever the writer says.
create function public.audit_log_actor() returns trigger
language plpgsql as $$
begin
  if current_user in ('couvert_api', 'couvert_worker') then
    new.performed_by_type := coalesce(public.request_actor(new.location_id), new.performed_by_type);
    new.performed_by := public.request_user_uuid();
  end if;
  return new;
end
$$;
create trigger audit_log_actor before insert on public.audit_log
  for each row execute function public.audit_log_actor();
