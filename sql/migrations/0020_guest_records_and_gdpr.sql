-- The guest record (docs/decisions.md, "Guest records"): notes operators keep about a guest, some of
-- them alerts shown with every booking of that guest.
create table public.customer_notes (
  id uuid primary key default gen_random_uuid(),
  location_id uuid not null references public.locations (id) on delete cascade,
  customer_id uuid not null,
  note text not null,
  note_type text not null default 'general',
  is_alert boolean not null default false,
  created_by text,
  created_at timestamptz not null default now(),
  constraint customer_notes_customer_fkey foreign key (location_id, customer_id)
    references public.customers (location_id, id) on delete cascade,
  constraint customer_notes_type_valid check (note_type in ('preference', 'allergy', 'incident', 'vip', 'general')),
  constraint customer_notes_note_length check (char_length(note) between 1 and 2000)
);
comment on table public.customer_notes is 'What operators note about a guest; alerts are shown with each of their bookings.';
create index customer_notes_customer_idx on public.customer_notes (location_id, customer_id, created_at);
alter table public.customer_notes enable row level security;
alter table public.customer_notes force row level security;
grant select, insert, update, delete on public.customer_notes to couvert_api, couvert_worker;
create policy "members of a location read its guest notes" on public.customer_notes for select to couvert_api
  using (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "members of a location add guest notes" on public.customer_notes for insert to couvert_api
  with check (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "members of a location change guest notes" on public.customer_notes for update to couvert_api
  using (location_id = any ((select public.operator_location_ids())::uuid[]))
  with check (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "members of a location remove guest notes" on public.customer_notes for delete to couvert_api
  using (location_id = any ((select public.operator_location_ids())::uuid[]));
create policy "the worker can select every customer_notes row" on public.customer_notes
  for select to couvert_worker using (true);
grant select, delete on public.customer_notes to couvert_definer;
create policy "the definer reads guest notes" on public.customer_notes for select to couvert_definer using (true);
create policy "the definer erases guest notes" on public.customer_notes for delete to couvert_definer using (true);

-- GDPR per location (docs/decisions.md, "Guests' data"): erase one customer's personal data
-- everywhere it was written, keep what the restaurant's statistics need (reservations, counts, money).

-- Keys under which personal data may sit in audit values and event payloads.
create function public.personal_keys() returns text[]
language sql immutable as $$
  select array['first_name', 'last_name', 'name', 'email', 'phone', 'phone_number', 'guest_notes',
               'internal_notes', 'notes', 'preferences', 'operator_tags', 'tags', 'contact_first_name',
               'contact_last_name', 'contact_email', 'contact_phone', 'receipt_email', 'billing_details',
               'shipping', 'customer_details', 'to', 'address']
$$;

-- A JSON value with every personal key's value replaced by "[erased]", at any depth.
create function public.redact_personal(p_value jsonb) returns jsonb
language sql immutable as $$
  select case jsonb_typeof(p_value)
    when 'object' then coalesce((
      select jsonb_object_agg(e.key, case when e.key = any (public.personal_keys()) and e.value <> 'null'::jsonb
                                          then '"[erased]"'::jsonb else public.redact_personal(e.value) end)
      from jsonb_each(p_value) e), '{}'::jsonb)
    when 'array' then coalesce((select jsonb_agg(public.redact_personal(a.value)) from jsonb_array_elements(p_value) a),
                               '[]'::jsonb)
    else p_value end
$$;

-- Erases as its owner (audit rows are append-only for the API; webhook events are the worker's),
-- for an owner or manager of the location only.  Refused while the customer has reservations to
-- come: those still need a name at the door and an address for their messages.
create function public.erase_customer(p_location_id uuid, p_customer_id uuid, p_now timestamptz)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  reservation_ids uuid[];
  intents text[];
  counts jsonb;
  touched int;
begin
  if not p_location_id = any (public.operator_location_ids(array['owner', 'manager'])) then
    raise exception 'only owners and managers erase a guest''s data' using errcode = '42501';
  end if;
  perform 1 from public.customers c where c.location_id = p_location_id and c.id = p_customer_id for update;
  if not found then
    raise exception 'customer % not found', p_customer_id using errcode = 'CV404', detail = 'customer';
  end if;
  if exists (select 1 from public.reservations r
             where r.location_id = p_location_id and r.customer_id = p_customer_id
               and r.status in ('draft', 'pending_payment', 'option', 'confirmed', 'seated')) then
    raise exception 'the guest has reservations to come; cancel them first' using errcode = 'CV422',
      detail = 'customer_id';
  end if;
  select coalesce(array_agg(r.id), '{}'), coalesce(array_agg(r.payment_intent_id) filter (where r.payment_intent_id is not null), '{}')
  into reservation_ids, intents
  from public.reservations r where r.location_id = p_location_id and r.customer_id = p_customer_id;

  update public.customers
  set first_name = 'Erased', last_name = 'Guest', email = 'erased-' || id || '@erased.invalid',
      phone_number = null, notes = null, preferences = '{}', operator_tags = '[]', locale = null,
      whatsapp_opt_in = false, erased_at = p_now
  where location_id = p_location_id and id = p_customer_id;

  delete from public.customer_notes n where n.location_id = p_location_id and n.customer_id = p_customer_id;
  get diagnostics touched = row_count;
  counts := jsonb_build_object('notes', touched);

  update public.reservations
  set contact_first_name = null, contact_last_name = null, contact_email = null, contact_phone = null,
      contact_locale = null, guest_notes = null, internal_notes = null
  where location_id = p_location_id and id = any (reservation_ids);
  counts := counts || jsonb_build_object('reservations', cardinality(reservation_ids));

  update public.audit_log a
  set old_value = public.redact_personal(a.old_value), new_value = public.redact_personal(a.new_value)
  where a.location_id = p_location_id
    and (a.entity_id = any (reservation_ids) or (a.entity_type = 'customer' and a.entity_id = p_customer_id));
  get diagnostics touched = row_count;
  counts := counts || jsonb_build_object('audit_rows', touched);

  update public.outbox_events o
  set payload = public.redact_personal(o.payload), last_error = null
  where o.location_id = p_location_id and o.reservation_id = any (reservation_ids);
  get diagnostics touched = row_count;
  counts := counts || jsonb_build_object('outbox_events', touched);

  -- Stripe's copies: keep which event it was and what it did, not what it carried.
  update public.webhook_events w
  set payload = jsonb_build_object('id', w.payload -> 'id', 'type', w.payload -> 'type', 'erased', true)
  where w.payload -> 'data' -> 'object' -> 'metadata' ->> 'reservation_id' = any (reservation_ids::text[])
     or w.payload -> 'data' -> 'object' ->> 'id' = any (intents)
     or w.payload -> 'data' -> 'object' ->> 'payment_intent' = any (intents);
  get diagnostics touched = row_count;
  counts := counts || jsonb_build_object('webhook_events', touched);

  insert into public.audit_log (location_id, entity_type, entity_id, action, old_value, new_value,
                                performed_by, performed_by_type)
  values (p_location_id, 'customer', p_customer_id, 'customer_erased', null, counts,
          public.request_user_uuid(), 'operator');
  return counts;
end
$$;
comment on function public.erase_customer(uuid, uuid, timestamptz) is
  'GDPR erasure of one customer of one location: personal fields anonymised everywhere, statistics kept.';
alter function public.erase_customer(uuid, uuid, timestamptz) owner to couvert_definer;
revoke execute on function public.erase_customer(uuid, uuid, timestamptz) from public;
grant execute on function public.erase_customer(uuid, uuid, timestamptz) to couvert_api;

grant update on public.customers to couvert_definer;
grant select (id, payment_intent_id, status) on public.reservations to couvert_definer;
grant update (contact_first_name, contact_last_name, contact_email, contact_phone, contact_locale, guest_notes,
              internal_notes) on public.reservations to couvert_definer;
grant select, insert, update on public.audit_log to couvert_definer;
grant select, update on public.outbox_events to couvert_definer;
grant select, update on public.webhook_events to couvert_definer;
create policy "the definer reads the audit log" on public.audit_log for select to couvert_definer using (true);
create policy "the definer adds audit rows" on public.audit_log for insert to couvert_definer with check (true);
create policy "the definer erases personal data from audit rows" on public.audit_log for update to couvert_definer
  using (true) with check (true);
create policy "the definer reads outbox events" on public.outbox_events for select to couvert_definer using (true);
create policy "the definer erases personal data from outbox events" on public.outbox_events
  for update to couvert_definer using (true) with check (true);
create policy "the definer reads webhook events" on public.webhook_events for select to couvert_definer using (true);
create policy "the definer erases personal data from webhook events" on public.webhook_events
  for update to couvert_definer using (true) with check (true);
