-- Erasure (docs/decisions.md, "Guests' data") kept a reservation's badges, and the audit rows of
-- their changes: free text a guest or host writes on the booking ("wheelchair", "gluten-free"),
-- often health data.  Now they go with the contact details and notes, and `badges` is a personal
-- key of audit values and event payloads.  The rest of both functions is 0020's.
create or replace function public.personal_keys() returns text[]
language sql immutable as $$
  select array['first_name', 'last_name', 'name', 'email', 'phone', 'phone_number', 'guest_notes',
               'internal_notes', 'notes', 'preferences', 'operator_tags', 'tags', 'contact_first_name',
               'contact_last_name', 'contact_email', 'contact_phone', 'receipt_email', 'billing_details',
               'shipping', 'customer_details', 'to', 'address', 'badges']
$$;

create or replace function public.erase_customer(p_location_id uuid, p_customer_id uuid, p_now timestamptz)
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
      contact_locale = null, guest_notes = null, internal_notes = null, badges = '[]'
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
grant update (badges) on public.reservations to couvert_definer;
