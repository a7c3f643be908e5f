-- The schema of seed 000 sections 2 and 6 (exact column names and types) plus the tables
-- data.md adds.  Every table carries location_id, and every unique and foreign key that can
-- include it does, so the schema stays shardable by location.

create or replace function public.touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Locations -------------------------------------------------------------------------------------
create table public.locations (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null,
  timezone text not null default 'Europe/Amsterdam',
  currency text not null default 'EUR',
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint locations_slug_key unique (slug),
  constraint locations_name_not_blank check (btrim(name) <> ''),
  constraint locations_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  constraint locations_currency_format check (currency ~ '^[A-Z]{3}$')
);
comment on table public.locations is 'A restaurant: the unit of tenancy; every other row belongs to one.';

create table public.reservation_settings (
  location_id uuid primary key references public.locations (id) on delete cascade,
  options_enabled boolean not null default false,
  option_default_hours int not null default 48,
  payment_timeout_minutes int not null default 15,
  draft_timeout_minutes int not null default 30,
  reconfirm_grace_hours int not null default 6,
  reminder_hours_before int not null default 24,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint reservation_settings_option_default_hours_positive check (option_default_hours > 0),
  constraint reservation_settings_payment_timeout_positive check (payment_timeout_minutes > 0),
  constraint reservation_settings_draft_timeout_positive check (draft_timeout_minutes > 0),
  constraint reservation_settings_reconfirm_grace_nonnegative check (reconfirm_grace_hours >= 0),
  constraint reservation_settings_reminder_hours_nonnegative check (reminder_hours_before >= 0)
);
comment on table public.reservation_settings is 'Per-location booking settings: options, hold timeouts, reminder timing.';

create table public.location_members (
  location_id uuid not null references public.locations (id) on delete cascade,
  user_id text not null,
  role text not null,
  created_at timestamptz not null default now(),
  constraint location_members_pkey primary key (location_id, user_id),
  constraint location_members_role_valid check (role in ('owner', 'manager', 'host'))
);
comment on table public.location_members is 'Which operators (JWT sub) may work on a location, and with which role.';
create index location_members_user_idx on public.location_members (user_id);

-- Floor plan ------------------------------------------------------------------------------------
create table public.areas (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  name text not null,
  sort_order int not null default 0,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint areas_location_id_id_key unique (location_id, id),
  constraint areas_name_not_blank check (btrim(name) <> '')
);
comment on table public.areas is 'A part of the floor (Restaurant, Terras); tickets are offered per area.';
create unique index areas_location_name_key on public.areas (location_id, lower(name));

create table public.tables (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  area_id uuid not null,
  name text not null,
  min_capacity int not null default 1,
  max_capacity int not null,
  priority int not null default 0,
  online_bookable boolean not null default true,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tables_location_id_id_key unique (location_id, id),
  constraint tables_area_fkey foreign key (location_id, area_id) references public.areas (location_id, id),
  constraint tables_name_not_blank check (btrim(name) <> ''),
  constraint tables_capacity_positive check (min_capacity >= 1),
  constraint tables_capacity_range check (min_capacity <= max_capacity)
);
comment on table public.tables is 'A physical table with the party sizes it seats.';
create unique index tables_location_name_key on public.tables (location_id, lower(name));

create table public.table_groups (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  name text not null,
  min_capacity int not null default 1,
  max_capacity int not null,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint table_groups_location_id_id_key unique (location_id, id),
  constraint table_groups_name_not_blank check (btrim(name) <> ''),
  constraint table_groups_capacity_positive check (min_capacity >= 1),
  constraint table_groups_capacity_range check (min_capacity <= max_capacity)
);
comment on table public.table_groups is 'Tables pushed together for larger parties; every member must be free.';
create unique index table_groups_location_name_key on public.table_groups (location_id, lower(name));

create table public.table_group_members (
  location_id uuid not null,
  table_group_id uuid not null,
  table_id uuid not null,
  constraint table_group_members_pkey primary key (table_group_id, table_id),
  constraint table_group_members_group_fkey foreign key (location_id, table_group_id)
    references public.table_groups (location_id, id) on delete cascade,
  constraint table_group_members_table_fkey foreign key (location_id, table_id)
    references public.tables (location_id, id) on delete cascade
);
comment on table public.table_group_members is 'The tables that make up a table group.';
create index table_group_members_table_idx on public.table_group_members (location_id, table_id);

create table public.table_availability_rules (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null,
  table_id uuid not null,
  rule_type text not null,
  days_of_week int[],
  start_time time not null,
  end_time time not null,
  valid_from date,
  valid_until date,
  label text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint table_availability_rules_table_fkey foreign key (location_id, table_id)
    references public.tables (location_id, id) on delete cascade,
  constraint table_availability_rules_type_valid check (rule_type in ('block', 'allow')),
  constraint table_availability_rules_days_valid check (days_of_week <@ array[1, 2, 3, 4, 5, 6, 7]),
  constraint table_availability_rules_time_range check (end_time > start_time),
  constraint table_availability_rules_date_range check (valid_until is null or valid_from is null or valid_until >= valid_from)
);
comment on table public.table_availability_rules is 'Windows in which a table is blocked, or (allow rules) the only windows it may be booked.';
create index table_availability_rules_table_idx on public.table_availability_rules (location_id, table_id);

-- Shifts (seed 2.1, 2.2) ----------------------------------------------------------------------
create table public.shifts (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  name text not null,
  short_name text,
  start_time time not null,
  end_time time not null,
  days_of_week int[] not null default array[1, 2, 3, 4, 5, 6, 7],
  arrival_interval_minutes int not null default 15,
  color text,
  sort_order int not null default 0,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint shifts_location_id_id_key unique (location_id, id),
  constraint shifts_name_not_blank check (btrim(name) <> ''),
  constraint shifts_time_range check (end_time > start_time),
  constraint shifts_days_valid check (days_of_week <@ array[1, 2, 3, 4, 5, 6, 7]),
  constraint shifts_interval_valid check (arrival_interval_minutes in (5, 10, 15, 20, 30, 60)),
  constraint shifts_color_format check (color is null or color ~ '^#[0-9A-Fa-f]{6}$')
);
comment on table public.shifts is 'A recurring service period (Lunch, Diner) whose start and end bound arrival times.';
create unique index shifts_location_name_key on public.shifts (location_id, lower(name));

create table public.shift_exceptions (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  shift_id uuid,
  exception_date date not null,
  exception_type text not null,
  override_start_time time,
  override_end_time time,
  label text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint shift_exceptions_shift_fkey foreign key (location_id, shift_id)
    references public.shifts (location_id, id) on delete cascade,
  constraint shift_exceptions_type_valid check (exception_type in ('closed', 'modified', 'special')),
  constraint shift_exceptions_override_range check (
    override_start_time is null or override_end_time is null or override_end_time > override_start_time)
);
comment on table public.shift_exceptions is 'Date-specific closures, changed hours and special days; shift_id NULL means the whole location.';
-- One exception per (shift, date) and one location-wide exception per date.
create unique index shift_exceptions_shift_date_key on public.shift_exceptions
  (location_id, exception_date, coalesce(shift_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Products (seed 2.3 – 2.5) -------------------------------------------------------------------
create table public.policy_sets (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  name text not null,
  payment_type text not null default 'none',
  payment_amount numeric,
  cancel_free_hours int not null default 24,
  cancel_refund_pct int not null default 100,
  noshow_mark_after_minutes int not null default 15,
  noshow_keep_deposit boolean not null default true,
  reconfirm_enabled boolean not null default false,
  reconfirm_hours_before int not null default 24,
  reconfirm_required boolean not null default false,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint policy_sets_location_id_id_key unique (location_id, id),
  constraint policy_sets_name_not_blank check (btrim(name) <> ''),
  constraint policy_sets_payment_type_valid check (payment_type in ('none', 'deposit_pp', 'full_prepay_pp')),
  constraint policy_sets_payment_amount_required check (
    (payment_type = 'none') or (payment_amount is not null and payment_amount > 0)),
  constraint policy_sets_payment_amount_nonnegative check (payment_amount is null or payment_amount >= 0),
  constraint policy_sets_cancel_free_hours_nonnegative check (cancel_free_hours >= 0),
  constraint policy_sets_cancel_refund_pct_range check (cancel_refund_pct between 0 and 100),
  constraint policy_sets_noshow_minutes_nonnegative check (noshow_mark_after_minutes >= 0),
  constraint policy_sets_reconfirm_hours_positive check (reconfirm_hours_before > 0)
);
comment on table public.policy_sets is 'Reusable payment, cancellation, no-show and reconfirmation rules; frozen into each booking.';
create unique index policy_sets_location_name_key on public.policy_sets (location_id, lower(name));

create table public.tickets (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  name text not null,
  short_name text,
  description text,
  duration_minutes int not null,
  buffer_minutes int not null default 0,
  min_party_size int not null default 1,
  max_party_size int not null default 20,
  policy_set_id uuid not null,
  booking_min_advance_minutes int not null default 60,
  booking_max_advance_days int not null default 90,
  booking_min_advance_large_party_minutes int,
  large_party_threshold int not null default 6,
  squeeze_enabled boolean not null default false,
  squeeze_duration_minutes int,
  squeeze_gap_minutes int not null default 0,
  squeeze_to_fixed_end_time time,
  squeeze_limit_per_shift int,
  color text,
  sort_order int not null default 0,
  is_active boolean not null default true,
  is_default boolean not null default false,
  allowed_channels text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tickets_location_id_id_key unique (location_id, id),
  constraint tickets_policy_set_fkey foreign key (location_id, policy_set_id)
    references public.policy_sets (location_id, id),
  constraint tickets_name_not_blank check (btrim(name) <> ''),
  constraint tickets_duration_positive check (duration_minutes > 0),
  constraint tickets_buffer_nonnegative check (buffer_minutes >= 0),
  constraint tickets_party_size_positive check (min_party_size >= 1),
  constraint tickets_party_size_range check (min_party_size <= max_party_size),
  constraint tickets_min_advance_nonnegative check (booking_min_advance_minutes >= 0),
  constraint tickets_max_advance_nonnegative check (booking_max_advance_days >= 0),
  constraint tickets_large_party_advance_nonnegative check (
    booking_min_advance_large_party_minutes is null or booking_min_advance_large_party_minutes >= 0),
  constraint tickets_large_party_threshold_positive check (large_party_threshold >= 1),
  constraint tickets_squeeze_duration_valid check (
    squeeze_duration_minutes is null or (squeeze_duration_minutes > 0 and squeeze_duration_minutes <= duration_minutes)),
  constraint tickets_squeeze_gap_nonnegative check (squeeze_gap_minutes >= 0),
  constraint tickets_squeeze_limit_nonnegative check (squeeze_limit_per_shift is null or squeeze_limit_per_shift >= 0),
  constraint tickets_allowed_channels_valid check (
    allowed_channels <@ array['widget', 'phone', 'walk_in', 'google', 'third_party']),
  constraint tickets_color_format check (color is null or color ~ '^#[0-9A-Fa-f]{6}$')
);
comment on table public.tickets is 'The product a guest books (Regular Dinner, Chef''s Table): stay length, party sizes, booking window, squeeze.';
create unique index tickets_location_name_key on public.tickets (location_id, lower(name));

create table public.shift_tickets (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  shift_id uuid not null,
  ticket_id uuid not null,
  area_ids uuid[] not null default '{}',
  pacing_covers_limit int,
  pacing_arrivals_limit int,
  max_covers_total int,
  overbooking_covers int not null default 0,
  is_active boolean not null default true,
  sort_order int not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint shift_tickets_shift_ticket_key unique (shift_id, ticket_id),
  constraint shift_tickets_shift_fkey foreign key (location_id, shift_id)
    references public.shifts (location_id, id) on delete cascade,
  constraint shift_tickets_ticket_fkey foreign key (location_id, ticket_id)
    references public.tickets (location_id, id) on delete cascade,
  constraint shift_tickets_pacing_covers_positive check (pacing_covers_limit is null or pacing_covers_limit >= 0),
  constraint shift_tickets_pacing_arrivals_positive check (pacing_arrivals_limit is null or pacing_arrivals_limit >= 0),
  constraint shift_tickets_max_covers_positive check (max_covers_total is null or max_covers_total >= 0),
  constraint shift_tickets_overbooking_nonnegative check (overbooking_covers >= 0)
);
comment on table public.shift_tickets is 'Which ticket is sold in which shift, in which areas, with which pacing and cover limits.';
create index shift_tickets_location_idx on public.shift_tickets (location_id);

-- Guests and bookings (seed 6) ----------------------------------------------------------------
create table public.customers (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  first_name text not null,
  last_name text not null,
  email text not null,
  phone_number text,
  total_visits int not null default 0,
  no_show_count int not null default 0,
  cancel_count int not null default 0,
  avg_spend_per_visit numeric,
  first_visit_at timestamptz,
  last_visit_at timestamptz,
  whatsapp_opt_in boolean not null default false,
  tags jsonb not null default '[]',
  preferences jsonb not null default '{}',
  notes text,
  locale text,
  sms_opt_out boolean not null default false,
  erased_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customers_location_id_id_key unique (location_id, id),
  constraint customers_phone_e164 check (phone_number is null or phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint customers_stats_nonnegative check (total_visits >= 0 and no_show_count >= 0 and cancel_count >= 0),
  constraint customers_tags_array check (jsonb_typeof(tags) = 'array'),
  constraint customers_preferences_object check (jsonb_typeof(preferences) = 'object')
);
comment on table public.customers is 'A guest of one location (per location for GDPR), with visit statistics and tags.';
create unique index customers_location_email_key on public.customers (location_id, lower(email));

create table public.reservations (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id),
  customer_id uuid,
  ticket_id uuid not null,
  shift_id uuid not null,
  reservation_date date not null,
  start_time time not null,
  end_time time not null,
  party_size int not null,
  table_id uuid,
  table_group_id uuid,
  status text not null default 'draft',
  channel text not null default 'widget',
  is_squeeze boolean not null default false,
  option_expires_at timestamptz,
  payment_status text default 'none',
  payment_intent_id text,
  payment_amount numeric,
  reconfirm_sent_at timestamptz,
  reconfirmed_at timestamptz,
  no_show_risk_score float,
  risk_factors jsonb,
  guest_notes text,
  internal_notes text,
  badges jsonb not null default '[]',
  cancelled_at timestamptz,
  cancelled_by text,
  cancellation_reason text,
  seated_at timestamptz,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Beyond the seed (data.md):
  reference text not null,
  manage_token_hash text,
  hold_expires_at timestamptz,
  policy_snapshot jsonb not null default '{}',
  start_at timestamptz not null,
  end_at timestamptz not null,
  -- When the table is free again: end_at plus the ticket's buffer (or the squeeze gap).
  occupied_until timestamptz not null,
  reminder_sent_at timestamptz,
  constraint reservations_location_id_id_key unique (location_id, id),
  constraint reservations_reference_key unique (location_id, reference),
  constraint reservations_customer_fkey foreign key (location_id, customer_id)
    references public.customers (location_id, id),
  constraint reservations_ticket_fkey foreign key (location_id, ticket_id)
    references public.tickets (location_id, id),
  constraint reservations_shift_fkey foreign key (location_id, shift_id)
    references public.shifts (location_id, id),
  constraint reservations_table_fkey foreign key (location_id, table_id)
    references public.tables (location_id, id),
  constraint reservations_table_group_fkey foreign key (location_id, table_group_id)
    references public.table_groups (location_id, id),
  constraint reservations_status_valid check (status in
    ('draft', 'pending_payment', 'option', 'confirmed', 'seated', 'completed', 'no_show', 'cancelled')),
  constraint reservations_channel_valid check (channel in ('widget', 'phone', 'walk_in', 'google', 'third_party')),
  constraint reservations_payment_status_valid check (payment_status in ('none', 'pending', 'paid', 'refunded', 'partial_refund')),
  constraint reservations_cancelled_by_valid check (cancelled_by in ('guest', 'operator', 'system')),
  constraint reservations_party_size_positive check (party_size > 0),
  constraint reservations_one_table_kind check (table_id is null or table_group_id is null),
  constraint reservations_time_range check (end_at > start_at and occupied_until >= end_at),
  constraint reservations_payment_amount_nonnegative check (payment_amount is null or payment_amount >= 0),
  constraint reservations_risk_score_range check (no_show_risk_score is null or no_show_risk_score between 0 and 1),
  constraint reservations_badges_array check (jsonb_typeof(badges) = 'array'),
  constraint reservations_reference_format check (reference ~ '^[A-Z0-9]{6,10}$')
);
comment on table public.reservations is 'A booking: who, which ticket and shift, when (local and absolute), which table, its status and money.';
-- The availability snapshot and the operator day list.
create index reservations_location_start_idx on public.reservations (location_id, start_at);
create index reservations_location_date_idx on public.reservations (location_id, reservation_date, start_time);
create index reservations_customer_idx on public.reservations (location_id, customer_id);
create index reservations_payment_intent_idx on public.reservations (payment_intent_id) where payment_intent_id is not null;
-- Sweeps: each partial index matches one sweep's predicate, so cost grows with the rows due.
create index reservations_noshow_due_idx on public.reservations (start_at) where status = 'confirmed';
create index reservations_hold_due_idx on public.reservations (hold_expires_at) where status in ('draft', 'pending_payment');
create index reservations_option_due_idx on public.reservations (option_expires_at) where status = 'option';
create index reservations_seated_idx on public.reservations (start_at) where status = 'seated';

create table public.audit_log (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id),
  entity_type text not null,
  entity_id uuid not null,
  action text not null,
  old_value jsonb,
  new_value jsonb not null,
  performed_by uuid,
  performed_by_type text not null,
  created_at timestamptz not null default now(),
  constraint audit_log_performed_by_type_valid check (performed_by_type in ('operator', 'guest', 'system', 'assistant'))
);
comment on table public.audit_log is 'Who changed what and when; written in the same transaction as the change.';
create index audit_log_entity_idx on public.audit_log (location_id, entity_type, entity_id, created_at);

-- Table occupancy: the database itself forbids double booking --------------------------------
create table public.table_occupancies (
  location_id uuid not null,
  reservation_id uuid not null,
  table_id uuid not null,
  occupied tstzrange not null,
  constraint table_occupancies_pkey primary key (reservation_id, table_id),
  constraint table_occupancies_reservation_fkey foreign key (location_id, reservation_id)
    references public.reservations (location_id, id) on delete cascade,
  constraint table_occupancies_table_fkey foreign key (location_id, table_id)
    references public.tables (location_id, id),
  constraint table_occupancies_no_overlap exclude using gist
    (location_id with =, table_id with =, occupied with &&)
);
comment on table public.table_occupancies is 'One row per table a capacity-holding reservation occupies, [start, end + buffer); an exclusion constraint forbids overlaps.';

-- Integration plumbing -------------------------------------------------------------------------
create table public.idempotency_keys (
  location_id uuid not null references public.locations (id) on delete cascade,
  key text not null,
  request_hash text not null,
  status_code int,
  response jsonb,
  created_at timestamptz not null default now(),
  constraint idempotency_keys_pkey primary key (location_id, key),
  constraint idempotency_keys_key_length check (length(key) between 1 and 255)
);
comment on table public.idempotency_keys is 'Idempotency-Key of a booking request, its body hash and the first answer, written in the booking transaction.';

create table public.outbox_events (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id),
  reservation_id uuid,
  kind text not null,
  payload jsonb not null default '{}',
  status text not null default 'pending',
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  processed_at timestamptz,
  constraint outbox_events_reservation_fkey foreign key (location_id, reservation_id)
    references public.reservations (location_id, id),
  constraint outbox_events_status_valid check (status in ('pending', 'done', 'failed')),
  constraint outbox_events_kind_valid check (kind in (
    'message.confirmation', 'message.cancellation', 'message.reminder', 'message.reconfirm_request',
    'message.waitlist_offer', 'message.no_show', 'stripe.refund', 'stripe.cancel_payment_intent')),
  constraint outbox_events_attempts_nonnegative check (attempts >= 0)
);
comment on table public.outbox_events is 'Side effects (messages, Stripe refunds) recorded in the transaction that causes them and carried out later, at least once.';
create index outbox_events_due_idx on public.outbox_events (next_attempt_at) where status = 'pending';
create index outbox_events_reservation_idx on public.outbox_events (location_id, reservation_id);

create table public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  location_id uuid references public.locations (id),
  provider text not null default 'stripe',
  provider_event_id text not null,
  event_type text not null,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  outcome text,
  constraint webhook_events_provider_event_key unique (provider, provider_event_id)
);
comment on table public.webhook_events is 'Every Stripe event received, once: a duplicate delivery finds its row and changes nothing.';

create table public.waitlist_entries (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  customer_id uuid not null,
  ticket_id uuid,
  desired_date date not null,
  time_from time not null,
  time_to time not null,
  party_size int not null,
  status text not null default 'active',
  expires_at timestamptz not null,
  notified_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint waitlist_entries_customer_fkey foreign key (location_id, customer_id)
    references public.customers (location_id, id),
  constraint waitlist_entries_ticket_fkey foreign key (location_id, ticket_id)
    references public.tickets (location_id, id),
  constraint waitlist_entries_status_valid check (status in ('active', 'notified', 'booked', 'expired', 'cancelled')),
  constraint waitlist_entries_time_range check (time_to > time_from),
  constraint waitlist_entries_party_size_positive check (party_size > 0)
);
comment on table public.waitlist_entries is 'Guests waiting for a date, time range and party size; notified when capacity frees up.';
create index waitlist_entries_date_idx on public.waitlist_entries (location_id, desired_date) where status = 'active';
create index waitlist_entries_expiry_idx on public.waitlist_entries (expires_at) where status in ('active', 'notified');

-- The status machine's single source of truth (lifecycle.md).
create table public.reservation_status_transitions (
  from_status text not null,
  to_status text not null,
  actor_types text[] not null,
  constraint reservation_status_transitions_pkey primary key (from_status, to_status)
);
comment on table public.reservation_status_transitions is 'Every allowed status change and who may make it; nothing else may change a status.';
insert into public.reservation_status_transitions (from_status, to_status, actor_types) values
  ('draft', 'pending_payment', array['system']),
  ('draft', 'option', array['operator']),
  ('draft', 'confirmed', array['system', 'operator']),
  ('draft', 'cancelled', array['system', 'operator']),
  ('pending_payment', 'confirmed', array['system']),
  ('pending_payment', 'cancelled', array['system', 'guest', 'operator']),
  ('option', 'confirmed', array['guest', 'operator']),
  ('option', 'cancelled', array['system', 'operator', 'guest']),
  ('confirmed', 'seated', array['operator']),
  ('confirmed', 'no_show', array['system', 'operator']),
  ('confirmed', 'cancelled', array['guest', 'operator', 'system']),
  ('seated', 'completed', array['operator', 'system']),
  ('seated', 'confirmed', array['operator']),
  ('no_show', 'seated', array['operator']);

do $$
declare t text;
begin
  foreach t in array array['locations', 'reservation_settings', 'areas', 'tables', 'table_groups',
    'table_availability_rules', 'shifts', 'shift_exceptions', 'policy_sets', 'tickets', 'shift_tickets',
    'customers', 'reservations', 'waitlist_entries']
  loop
    execute format('create trigger %I before update on public.%I for each row execute function public.touch_updated_at()',
                   t || '_touch_updated_at', t);
  end loop;
end
$$;
