-- Row-level security (data.md).  The caller's identity is the JWT in request.jwt.claims
-- (Supabase convention), set with set_config(..., true) per transaction; a guest request instead
-- names its one location in couvert.guest_location_id.  Both are read fail-closed: after the
-- transaction the settings read back as '' and match nothing.

create or replace function public.request_claims() returns jsonb
language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb)
$$;

create or replace function public.request_user_id() returns text
language sql stable as $$
  select nullif(public.request_claims() ->> 'sub', '')
$$;

create or replace function public.request_guest_location_id() returns uuid
language sql stable as $$
  select nullif(current_setting('couvert.guest_location_id', true), '')::uuid
$$;

-- Security definer so policies can read location_members without recursing into its own policy.
create or replace function public.operator_location_ids(p_roles text[] default array['owner', 'manager', 'host'])
returns uuid[]
language sql stable security definer set search_path = '' as $$
  select coalesce(array_agg(m.location_id), '{}')
  from public.location_members m
  where m.user_id = public.request_user_id()
    and m.role = any (p_roles)
$$;
revoke execute on function public.operator_location_ids(text[]) from public;
grant execute on function public.operator_location_ids(text[]) to couvert_api, couvert_worker;

-- Locations the caller may read: the operator's, or the guest context's one location.
create or replace function public.readable_location_ids() returns uuid[]
language sql stable as $$
  select public.operator_location_ids()
         || coalesce(array[public.request_guest_location_id()], '{}'::uuid[])
$$;

-- Starts a request transaction in one call (one round trip, and no session SET that would pin an
-- RDS Proxy connection): switch to the request role and set the identity, both transaction-local.
create or replace function public.begin_request(p_role text, p_claims jsonb, p_guest_location_id uuid)
returns void
language plpgsql as $$
begin
  if p_role not in ('couvert_api', 'couvert_worker') then
    raise exception 'begin_request: unknown role %', p_role using errcode = '42501';
  end if;
  perform set_config('role', p_role, true);
  -- The role defaults apply only to logins as these roles; a switched-to role gets them here.
  perform set_config('lock_timeout', case p_role when 'couvert_api' then '3s' else '5s' end, true);
  perform set_config('statement_timeout', case p_role when 'couvert_api' then '10s' else '60s' end, true);
  perform set_config('request.jwt.claims', coalesce(p_claims::text, ''), true);
  perform set_config('couvert.guest_location_id', coalesce(p_guest_location_id::text, ''), true);
end
$$;

grant select, insert, update, delete on all tables in schema public to couvert_api, couvert_worker;
revoke update, delete on public.audit_log from couvert_api;
revoke insert, update, delete on public.reservation_status_transitions from couvert_api, couvert_worker;
grant select on public.shift_risk_summary to couvert_api, couvert_worker;

do $$
declare
  t text;
  config_tables text[] := array['areas', 'tables', 'table_groups', 'table_group_members',
    'table_availability_rules', 'shifts', 'shift_exceptions', 'policy_sets', 'tickets', 'shift_tickets',
    'reservation_settings'];
  booking_tables text[] := array['customers', 'reservations', 'table_occupancies', 'outbox_events',
    'waitlist_entries', 'idempotency_keys'];
  label text;
begin
  foreach t in array config_tables || booking_tables
    || array['locations', 'location_members', 'audit_log', 'webhook_events'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('alter table public.%I force row level security', t);
    -- The worker role runs cross-location jobs; it reaches every row through its own policies.
    foreach label in array array['select', 'insert', 'update', 'delete'] loop
      execute format(
        'create policy %I on public.%I for %s to couvert_worker %s',
        format('the worker can %s every %s row', label, t), t, label,
        case label when 'insert' then 'with check (true)'
                   when 'update' then 'using (true) with check (true)'
                   else 'using (true)' end);
    end loop;
  end loop;

  -- Configuration: read by members and guests of the location, changed by owners and managers
  -- (a host runs the evening but may not change the setup).
  foreach t in array config_tables loop
    execute format($p$create policy %I on public.%I for select to couvert_api
      using (location_id = any ((select public.readable_location_ids())::uuid[]))$p$,
      format('members and guests of a location can read its %s', t), t);
    execute format($p$create policy %I on public.%I for insert to couvert_api
      with check (location_id = any ((select public.operator_location_ids(array['owner', 'manager']))::uuid[]))$p$,
      format('owners and managers can add %s', t), t);
    execute format($p$create policy %I on public.%I for update to couvert_api
      using (location_id = any ((select public.operator_location_ids(array['owner', 'manager']))::uuid[]))
      with check (location_id = any ((select public.operator_location_ids(array['owner', 'manager']))::uuid[]))$p$,
      format('owners and managers can change %s', t), t);
    execute format($p$create policy %I on public.%I for delete to couvert_api
      using (location_id = any ((select public.operator_location_ids(array['owner', 'manager']))::uuid[]))$p$,
      format('owners and managers can remove %s', t), t);
  end loop;

  -- Bookings: members of the location, and the guest context of that one location (it books,
  -- cancels and reconfirms), may read and write; only owners and managers delete.
  foreach t in array booking_tables loop
    execute format($p$create policy %I on public.%I for select to couvert_api
      using (location_id = any ((select public.readable_location_ids())::uuid[]))$p$,
      format('members and guests of a location can read its %s', t), t);
    execute format($p$create policy %I on public.%I for insert to couvert_api
      with check (location_id = any ((select public.readable_location_ids())::uuid[]))$p$,
      format('members and guests of a location can add %s', t), t);
    execute format($p$create policy %I on public.%I for update to couvert_api
      using (location_id = any ((select public.readable_location_ids())::uuid[]))
      with check (location_id = any ((select public.readable_location_ids())::uuid[]))$p$,
      format('members and guests of a location can change %s', t), t);
    if t <> 'table_occupancies' then
      execute format($p$create policy %I on public.%I for delete to couvert_api
        using (location_id = any ((select public.operator_location_ids(array['owner', 'manager']))::uuid[]))$p$,
        format('owners and managers can remove %s', t), t);
    end if;
  end loop;
end
$$;

create policy "members and guests of a location can read it" on public.locations for select to couvert_api
  using (id = any ((select public.readable_location_ids())::uuid[]));
create policy "owners and managers can change their location" on public.locations for update to couvert_api
  using (id = any ((select public.operator_location_ids(array['owner', 'manager']))::uuid[]))
  with check (id = any ((select public.operator_location_ids(array['owner', 'manager']))::uuid[]));

create policy "operators can read the memberships of their locations" on public.location_members
  for select to couvert_api
  using (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "owners can add members" on public.location_members for insert to couvert_api
  with check (location_id = any ((select public.operator_location_ids(array['owner']))::uuid[]));
create policy "owners can change members" on public.location_members for update to couvert_api
  using (location_id = any ((select public.operator_location_ids(array['owner']))::uuid[]))
  with check (location_id = any ((select public.operator_location_ids(array['owner']))::uuid[]));
create policy "owners can remove members" on public.location_members for delete to couvert_api
  using (location_id = any ((select public.operator_location_ids(array['owner']))::uuid[]));

-- Occupancy rows follow their reservation (trigger), also when a guest cancels.
create policy "members and guests of a location can free its table occupancies" on public.table_occupancies
  for delete to couvert_api
  using (location_id = any ((select public.readable_location_ids())::uuid[]));

-- The audit trail is append-only for the API: operators read it, requests (guest ones too) add to it.
create policy "operators can read the audit log of their locations" on public.audit_log
  for select to couvert_api
  using (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "members and guests of a location can add audit rows" on public.audit_log
  for insert to couvert_api
  with check (location_id = any ((select public.readable_location_ids())::uuid[]));
