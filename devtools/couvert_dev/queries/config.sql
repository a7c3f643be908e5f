-- Location configuration upserts (config_loader.py), keyed by natural keys so a reload updates.

-- name: as_worker
-- Configuration is written as the worker role, whose policies reach every location: the owner
-- of the tables has no policy of its own under forced row-level security.
select public.begin_request('couvert_worker', null, null)

-- name: upsert_location
insert into public.locations (name, slug, timezone, currency, country)
values (%(name)s, %(slug)s, %(timezone)s, %(currency)s, %(country)s)
on conflict (slug) do update
  set name = excluded.name, timezone = excluded.timezone, currency = excluded.currency,
      country = excluded.country
returning id

-- name: upsert_reservation_settings
insert into public.reservation_settings as s (location_id, options_enabled, option_default_hours,
  payment_timeout_minutes, draft_timeout_minutes, reconfirm_grace_hours, reminder_hours_before)
values (%(location_id)s, %(options_enabled)s, %(option_default_hours)s, %(payment_timeout_minutes)s,
  %(draft_timeout_minutes)s, %(reconfirm_grace_hours)s, %(reminder_hours_before)s)
on conflict (location_id) do update
  set options_enabled = excluded.options_enabled, option_default_hours = excluded.option_default_hours,
      payment_timeout_minutes = excluded.payment_timeout_minutes,
      draft_timeout_minutes = excluded.draft_timeout_minutes,
      reconfirm_grace_hours = excluded.reconfirm_grace_hours,
      reminder_hours_before = excluded.reminder_hours_before

-- name: upsert_area
insert into public.areas (location_id, name, sort_order, is_active)
values (%(location_id)s, %(name)s, %(sort_order)s, %(is_active)s)
on conflict (location_id, lower(name)) do update
  set name = excluded.name, sort_order = excluded.sort_order, is_active = excluded.is_active
returning id

-- name: upsert_table
insert into public.tables (location_id, area_id, name, min_capacity, max_capacity, priority, online_bookable, is_active)
values (%(location_id)s, %(area_id)s, %(name)s, %(min_capacity)s, %(max_capacity)s, %(priority)s,
  %(online_bookable)s, %(is_active)s)
on conflict (location_id, lower(name)) do update
  set area_id = excluded.area_id, name = excluded.name, min_capacity = excluded.min_capacity,
      max_capacity = excluded.max_capacity, priority = excluded.priority,
      online_bookable = excluded.online_bookable, is_active = excluded.is_active
returning id

-- name: upsert_table_group
insert into public.table_groups (location_id, name, min_capacity, max_capacity, is_active)
values (%(location_id)s, %(name)s, %(min_capacity)s, %(max_capacity)s, %(is_active)s)
on conflict (location_id, lower(name)) do update
  set name = excluded.name, min_capacity = excluded.min_capacity, max_capacity = excluded.max_capacity,
      is_active = excluded.is_active
returning id

-- name: replace_table_group_members
with removed as (
  delete from public.table_group_members
  where location_id = %(location_id)s and table_group_id = %(table_group_id)s
    and table_id <> all (%(table_ids)s::uuid[])
)
insert into public.table_group_members (location_id, table_group_id, table_id)
select %(location_id)s, %(table_group_id)s, t from unnest(%(table_ids)s::uuid[]) t
on conflict do nothing

-- name: replace_table_availability_rules
with wanted as (
  select (r ->> 'table_id')::uuid as table_id,
         r ->> 'rule_type' as rule_type,
         case when jsonb_typeof(r -> 'days_of_week') = 'array'
              then array(select x::int from jsonb_array_elements_text(r -> 'days_of_week') x) end as days_of_week,
         (r ->> 'start_time')::time as start_time,
         (r ->> 'end_time')::time as end_time,
         (r ->> 'valid_from')::date as valid_from,
         (r ->> 'valid_until')::date as valid_until,
         r ->> 'label' as label
  from jsonb_array_elements(%(rules)s::jsonb) r
), removed as (
  delete from public.table_availability_rules t
  where t.location_id = %(location_id)s
    and not exists (
      select 1 from wanted w
      where (w.table_id, w.rule_type, w.start_time, w.end_time) = (t.table_id, t.rule_type, t.start_time, t.end_time)
        and (w.days_of_week, w.valid_from, w.valid_until, w.label)
            is not distinct from (t.days_of_week, t.valid_from, t.valid_until, t.label))
)
insert into public.table_availability_rules
  (location_id, table_id, rule_type, days_of_week, start_time, end_time, valid_from, valid_until, label)
select %(location_id)s, w.table_id, w.rule_type, w.days_of_week, w.start_time, w.end_time, w.valid_from,
       w.valid_until, w.label
from wanted w
where not exists (
  select 1 from public.table_availability_rules t
  where t.location_id = %(location_id)s
    and (w.table_id, w.rule_type, w.start_time, w.end_time) = (t.table_id, t.rule_type, t.start_time, t.end_time)
    and (w.days_of_week, w.valid_from, w.valid_until, w.label)
        is not distinct from (t.days_of_week, t.valid_from, t.valid_until, t.label))

-- name: upsert_shift
insert into public.shifts (location_id, name, short_name, start_time, end_time, days_of_week,
  arrival_interval_minutes, color, sort_order, is_active)
values (%(location_id)s, %(name)s, %(short_name)s, %(start_time)s, %(end_time)s, %(days_of_week)s,
  %(arrival_interval_minutes)s, %(color)s, %(sort_order)s, %(is_active)s)
on conflict (location_id, lower(name)) do update
  set name = excluded.name, short_name = excluded.short_name, start_time = excluded.start_time,
      end_time = excluded.end_time, days_of_week = excluded.days_of_week,
      arrival_interval_minutes = excluded.arrival_interval_minutes, color = excluded.color,
      sort_order = excluded.sort_order, is_active = excluded.is_active
returning id

-- name: upsert_shift_exception
insert into public.shift_exceptions (location_id, shift_id, exception_date, exception_type,
  override_start_time, override_end_time, label, notes)
values (%(location_id)s, %(shift_id)s, %(date)s, %(exception_type)s, %(override_start_time)s,
  %(override_end_time)s, %(label)s, %(notes)s)
on conflict (location_id, exception_date, coalesce(shift_id, '00000000-0000-0000-0000-000000000000'::uuid))
do update
  set exception_type = excluded.exception_type, override_start_time = excluded.override_start_time,
      override_end_time = excluded.override_end_time, label = excluded.label, notes = excluded.notes

-- name: upsert_policy_set
insert into public.policy_sets (location_id, name, payment_type, payment_amount, cancel_free_hours,
  cancel_refund_pct, noshow_mark_after_minutes, noshow_keep_deposit, reconfirm_enabled,
  reconfirm_hours_before, reconfirm_required, is_active)
values (%(location_id)s, %(name)s, %(payment_type)s, %(payment_amount)s, %(cancel_free_hours)s,
  %(cancel_refund_pct)s, %(noshow_mark_after_minutes)s, %(noshow_keep_deposit)s, %(reconfirm_enabled)s,
  %(reconfirm_hours_before)s, %(reconfirm_required)s, %(is_active)s)
on conflict (location_id, lower(name)) do update
  set name = excluded.name, payment_type = excluded.payment_type, payment_amount = excluded.payment_amount,
      cancel_free_hours = excluded.cancel_free_hours, cancel_refund_pct = excluded.cancel_refund_pct,
      noshow_mark_after_minutes = excluded.noshow_mark_after_minutes,
      noshow_keep_deposit = excluded.noshow_keep_deposit, reconfirm_enabled = excluded.reconfirm_enabled,
      reconfirm_hours_before = excluded.reconfirm_hours_before,
      reconfirm_required = excluded.reconfirm_required, is_active = excluded.is_active
returning id

-- name: upsert_ticket
insert into public.tickets (location_id, name, short_name, description, duration_minutes, buffer_minutes,
  min_party_size, max_party_size, policy_set_id, booking_min_advance_minutes, booking_max_advance_days,
  booking_min_advance_large_party_minutes, large_party_threshold, squeeze_enabled, squeeze_duration_minutes,
  squeeze_gap_minutes, squeeze_to_fixed_end_time, squeeze_limit_per_shift, color, sort_order, is_active,
  is_default, allowed_channels)
values (%(location_id)s, %(name)s, %(short_name)s, %(description)s, %(duration_minutes)s, %(buffer_minutes)s,
  %(min_party_size)s, %(max_party_size)s, %(policy_set_id)s, %(booking_min_advance_minutes)s,
  %(booking_max_advance_days)s, %(booking_min_advance_large_party_minutes)s, %(large_party_threshold)s,
  %(squeeze_enabled)s, %(squeeze_duration_minutes)s, %(squeeze_gap_minutes)s, %(squeeze_to_fixed_end_time)s,
  %(squeeze_limit_per_shift)s, %(color)s, %(sort_order)s, %(is_active)s, %(is_default)s, %(allowed_channels)s)
on conflict (location_id, lower(name)) do update
  set name = excluded.name, short_name = excluded.short_name, description = excluded.description,
      duration_minutes = excluded.duration_minutes, buffer_minutes = excluded.buffer_minutes,
      min_party_size = excluded.min_party_size, max_party_size = excluded.max_party_size,
      policy_set_id = excluded.policy_set_id, booking_min_advance_minutes = excluded.booking_min_advance_minutes,
      booking_max_advance_days = excluded.booking_max_advance_days,
      booking_min_advance_large_party_minutes = excluded.booking_min_advance_large_party_minutes,
      large_party_threshold = excluded.large_party_threshold, squeeze_enabled = excluded.squeeze_enabled,
      squeeze_duration_minutes = excluded.squeeze_duration_minutes,
      squeeze_gap_minutes = excluded.squeeze_gap_minutes,
      squeeze_to_fixed_end_time = excluded.squeeze_to_fixed_end_time,
      squeeze_limit_per_shift = excluded.squeeze_limit_per_shift, color = excluded.color,
      sort_order = excluded.sort_order, is_active = excluded.is_active, is_default = excluded.is_default,
      allowed_channels = excluded.allowed_channels
returning id

-- name: upsert_shift_ticket
insert into public.shift_tickets (location_id, shift_id, ticket_id, area_ids, pacing_covers_limit,
  pacing_arrivals_limit, max_covers_total, overbooking_covers, is_active, sort_order)
values (%(location_id)s, %(shift_id)s, %(ticket_id)s, %(area_ids)s::uuid[], %(pacing_covers_limit)s,
  %(pacing_arrivals_limit)s, %(max_covers_total)s, %(overbooking_covers)s, %(is_active)s, %(sort_order)s)
on conflict (shift_id, ticket_id) do update
  set area_ids = excluded.area_ids, pacing_covers_limit = excluded.pacing_covers_limit,
      pacing_arrivals_limit = excluded.pacing_arrivals_limit, max_covers_total = excluded.max_covers_total,
      overbooking_covers = excluded.overbooking_covers, is_active = excluded.is_active,
      sort_order = excluded.sort_order

-- name: add_location_member
insert into public.location_members (location_id, user_id, role)
values (%(location_id)s, %(user_id)s, %(role)s)
on conflict (location_id, user_id) do update set role = excluded.role
