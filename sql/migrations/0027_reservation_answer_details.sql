-- What a reservation's answer adds to its row: the location's zone and currency, the guest's name
-- and contact, and the guest's alerts.  One function serves the read by id and the booking's insert
-- (whose new row is visible only inside its own statement, so it cannot be read again by id there).
-- SQL, stable and security invoker: it is inlined into the calling query, and the caller's row-level
-- security still applies (alerts are hidden from guests; an unreadable location gives no row).
create function public.reservation_answer_details(p_location_id uuid, p_customer_id uuid)
returns table (timezone text, currency text, first_name text, last_name text, email text, phone_number text,
               alerts jsonb)
language sql stable as $$
  select l.timezone, l.currency, c.first_name, c.last_name, c.email, c.phone_number,
         (select coalesce(jsonb_agg(jsonb_build_object('note', n.note, 'note_type', n.note_type) order by n.created_at),
                          '[]'::jsonb)
          from public.customer_notes n  -- hidden from guests by row-level security: always [] for them
          where n.location_id = p_location_id and n.customer_id = p_customer_id and n.is_alert)
  from public.locations l
  left join public.customers c on c.location_id = l.id and c.id = p_customer_id
  where l.id = p_location_id
$$;
comment on function public.reservation_answer_details(uuid, uuid) is
  'What a reservation''s answer adds to its row (zone, currency, guest, alerts), under the caller''s row-level security.';
grant execute on function public.reservation_answer_details(uuid, uuid) to couvert_api, couvert_worker;
