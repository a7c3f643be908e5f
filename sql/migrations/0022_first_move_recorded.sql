-- A booking's server time (issue 15, item 2; measured in bench/README.md, "Profile of one booking"):
-- the booking's first move to confirmed is recorded, not performed.
--
-- A booking used to insert its reservation as a draft and move it to confirmed at once through
-- transition_reservation_status: a second version of a just-written row, so a second entry in each
-- of the reservations' indexes (status takes part in their predicates: no HOT update), the table
-- occupancy deleted and inserted again under the exclusion constraint, and the status triggers run -
-- a quarter of the booking's server time.  Now the booking inserts the row confirmed and this
-- function records the move as the status machine records it: the same guards for a draft's move to
-- confirmed (who acts, the transitions table, a deposit is confirmed by its payment), the same
-- audit row and the same confirmation message.  Nothing else the status machine does applies to a
-- reservation written in this very transaction: no customer statistic moves from draft to confirmed,
-- no waitlist entry can name it yet, its hold cannot have lapsed, and it refunds nothing.
-- Options and deposits still go through transition_reservation_status (their moves set expiries or
-- wait for a payment).
create function public.record_first_move(p_reservation_id uuid, p_reason text, p_now timestamptz)
returns jsonb
language plpgsql as $$
declare
  r record;
  allowed text[];
  actor text;
begin
  select res.location_id, res.status, res.payment_status into r
  from public.reservations res where res.id = p_reservation_id;
  if not found then
    raise exception 'reservation % not found', p_reservation_id using errcode = 'CV404';
  end if;
  if r.status <> 'confirmed' then
    raise exception 'record_first_move records a booking written confirmed, not %', r.status
      using errcode = 'CV409', detail = r.status;
  end if;
  actor := public.request_actor(r.location_id);
  if actor is null then
    raise exception 'no one in this request may change reservation %', p_reservation_id using errcode = '42501';
  end if;
  select t.actor_types into allowed
  from public.reservation_status_transitions t
  where t.from_status = 'draft' and t.to_status = 'confirmed';
  if allowed is null or not (actor = any (allowed)) then
    raise exception 'cannot go from draft to confirmed as %', actor using errcode = 'CV409', detail = 'draft';
  end if;
  if r.payment_status = 'pending' then
    raise exception 'a reservation that owes a payment is confirmed by the payment' using errcode = 'CV409', detail = 'draft';
  end if;
  insert into public.audit_log (location_id, entity_type, entity_id, action, old_value, new_value,
                                performed_by, performed_by_type)
  values (r.location_id, 'reservation', p_reservation_id, 'status_change', jsonb_build_object('status', 'draft'),
          jsonb_build_object('status', 'confirmed', 'reason', p_reason, 'refund_cents', 0),
          public.request_user_uuid(), actor);
  insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
  values (r.location_id, p_reservation_id, 'message.confirmation',
          jsonb_build_object('from', 'draft', 'to', 'confirmed'), p_now);
  return jsonb_build_object('changed', true, 'from', 'draft', 'to', 'confirmed', 'refund_cents', 0);
end
$$;
comment on function public.record_first_move(uuid, text, timestamptz) is
  'Records a booking''s first move to confirmed (the row was written confirmed) as transition_reservation_status would: guards, audit row, confirmation message.';
revoke execute on function public.record_first_move(uuid, text, timestamptz) from public;
grant execute on function public.record_first_move(uuid, text, timestamptz) to couvert_api, couvert_worker;
