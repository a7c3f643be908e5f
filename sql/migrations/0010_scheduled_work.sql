-- The scheduled half (docs/decisions.md, "Scheduled work and messages"): the status sweeps, the
-- reminder and reconfirmation requests, and the messages the outbox dispatcher sends.  Every job
-- takes the caller's `p_now`, works on the rows due at that moment only (a partial index matches each
-- predicate, so its cost grows with the rows due, not with the table), locks them with
-- FOR UPDATE SKIP LOCKED (two runs at once never touch a row twice), and is bounded by `p_limit`.

-- The messages a guest can receive, beyond the ones the status machine already queues.
alter table public.outbox_events drop constraint outbox_events_kind_valid;
alter table public.outbox_events add constraint outbox_events_kind_valid check (kind in (
  'message.confirmation', 'message.modification', 'message.cancellation', 'message.reminder',
  'message.reconfirm_request', 'message.waitlist_offer', 'message.no_show',
  'stripe.refund', 'stripe.cancel_payment_intent'));

-- What every message says about the restaurant: where it is and how to call it.
alter table public.locations add column address text;
alter table public.locations add column phone text;
comment on column public.locations.address is 'Shown in every guest message.';
comment on column public.locations.phone is 'Shown in every guest message (as written, e.g. +31 20 123 4567).';

-- When the booking was made, on the application's clock (one clock: created_at is the database's
-- stamp and never compared with).  Reminders skip bookings made less than the reminder period ahead.
alter table public.reservations add column booked_at timestamptz;
update public.reservations set booked_at = created_at where booked_at is null;

-- When a reminder and a reconfirmation request fall due: derived from the start, the booking's policy
-- snapshot and the location's settings whenever one of them changes, so each job reads one indexed
-- column instead of computing a deadline per row.
alter table public.reservations add column reminder_due_at timestamptz;
alter table public.reservations add column reconfirm_due_at timestamptz;
comment on column public.reservations.reminder_due_at is
  'start_at - reminder_hours_before; null when the booking was made later than that (no reminder).';
comment on column public.reservations.reconfirm_due_at is
  'start_at - the policy''s reconfirm_hours_before when reconfirmation is enabled, else null.';

create or replace function public.reservations_set_due_times() returns trigger
language plpgsql as $$
declare
  reminder_hours int;
begin
  select s.reminder_hours_before into reminder_hours
  from public.reservation_settings s where s.location_id = new.location_id;
  new.reminder_due_at := new.start_at - make_interval(hours => coalesce(reminder_hours, 24));
  if new.booked_at is not null and new.reminder_due_at < new.booked_at then
    new.reminder_due_at := null;
  end if;
  new.reconfirm_due_at := case when coalesce((new.policy_snapshot ->> 'reconfirm_enabled')::boolean, false)
    then new.start_at - make_interval(hours => coalesce((new.policy_snapshot ->> 'reconfirm_hours_before')::int, 24))
  end;
  return new;
end
$$;

create trigger reservations_set_due_times
  before insert or update of start_at, policy_snapshot, booked_at on public.reservations
  for each row execute function public.reservations_set_due_times();

update public.reservations set start_at = start_at;  -- fill the due times of existing rows

create index reservations_reminder_due_idx on public.reservations (reminder_due_at)
  where status = 'confirmed' and reminder_sent_at is null;
create index reservations_reconfirm_due_idx on public.reservations (reconfirm_due_at)
  where status = 'confirmed' and reconfirm_sent_at is null;
create index reservations_reconfirm_grace_idx on public.reservations (reconfirm_sent_at)
  where status = 'confirmed' and reconfirmed_at is null and reconfirm_sent_at is not null;

-- The status sweeps: one function, one job per call.  Each due row goes through the same status
-- machine as the API (audit row as 'system', customer statistics, outbox events).
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
    perform public.transition_reservation_status(id, target, reason, 'system', null, p_now);
  end loop;
  return coalesce(array_length(due, 1), 0);
end
$$;
comment on function public.sweep_statuses(text, timestamptz, uuid, int) is
  'One status sweep (no_shows, option_expiry, payment_hold_expiry, abandoned_drafts, reconfirm_cancellations) as of p_now; returns the rows moved.';

-- Reminders and reconfirmation requests: stamp the row and queue the message in one statement, so a
-- guest hears from us once even when two runs overlap (the second finds the row stamped or locked).
create or replace function public.queue_guest_requests(
  p_job text, p_now timestamptz, p_location_id uuid, p_limit int)
returns int
language plpgsql as $$
declare
  queued int;
begin
  if p_job = 'reminders' then
    with due as (
      select r.id from public.reservations r
      where r.status = 'confirmed' and r.reminder_sent_at is null and r.reminder_due_at <= p_now
        and r.start_at > p_now and (p_location_id is null or r.location_id = p_location_id)
      order by r.reminder_due_at limit p_limit
      for update of r skip locked),
    stamped as (
      update public.reservations r set reminder_sent_at = p_now from due where r.id = due.id
      returning r.id, r.location_id)
    insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
    select location_id, id, 'message.reminder', '{}'::jsonb, p_now from stamped;
  elsif p_job = 'reconfirm_requests' then
    with due as (
      select r.id from public.reservations r
      where r.status = 'confirmed' and r.reconfirm_sent_at is null and r.reconfirm_due_at <= p_now
        and r.start_at > p_now and (p_location_id is null or r.location_id = p_location_id)
      order by r.reconfirm_due_at limit p_limit
      for update of r skip locked),
    stamped as (
      update public.reservations r set reconfirm_sent_at = p_now from due where r.id = due.id
      returning r.id, r.location_id)
    insert into public.outbox_events (location_id, reservation_id, kind, payload, next_attempt_at)
    select location_id, id, 'message.reconfirm_request', '{}'::jsonb, p_now from stamped;
  else
    raise exception 'queue_guest_requests: unknown job %', p_job using errcode = '22023';
  end if;
  get diagnostics queued = row_count;
  return queued;
end
$$;
comment on function public.queue_guest_requests(text, timestamptz, uuid, int) is
  'Queues reminders or reconfirmation requests due at p_now, once per reservation; returns how many.';

-- Waitlist entries whose window has passed.
create or replace function public.expire_waitlist_entries(p_now timestamptz, p_location_id uuid, p_limit int)
returns int
language plpgsql as $$
declare
  expired int;
begin
  with due as (
    select w.id from public.waitlist_entries w
    where w.status in ('active', 'notified') and w.expires_at <= p_now
      and (p_location_id is null or w.location_id = p_location_id)
    order by w.expires_at limit p_limit
    for update of w skip locked)
  update public.waitlist_entries w set status = 'expired' from due where w.id = due.id;
  get diagnostics expired = row_count;
  return expired;
end
$$;
comment on function public.expire_waitlist_entries(timestamptz, uuid, int) is
  'Marks waitlist entries past their window expired as of p_now; returns how many.';

-- The outbox: failed events an operator looks at, and how old the oldest due event is (the figure an
-- on-call engineer alarms on).
create index outbox_events_failed_idx on public.outbox_events (location_id, created_at) where status = 'failed';
