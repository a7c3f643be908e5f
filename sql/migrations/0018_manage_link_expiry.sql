-- A guest's manage link works until 30 days after the visit (docs/decisions.md, "Security"), long
-- enough to look up a booking or a refund, not forever.
drop function public.guest_reservation_location(uuid, text);
create function public.guest_reservation_location(p_reservation_id uuid, p_token_hash text, p_now timestamptz)
returns uuid
language sql stable security definer set search_path = '' as $$
  select r.location_id from public.reservations r
  where r.id = p_reservation_id and r.manage_token_hash = p_token_hash
    and p_now < r.end_at + interval '30 days'
$$;
comment on function public.guest_reservation_location(uuid, text, timestamptz) is
  'The location a manage token opens, while the link is valid (until 30 days after the visit); null otherwise.';
alter function public.guest_reservation_location(uuid, text, timestamptz) owner to couvert_definer;
revoke execute on function public.guest_reservation_location(uuid, text, timestamptz) from public;
grant execute on function public.guest_reservation_location(uuid, text, timestamptz) to couvert_api;
grant select (end_at) on public.reservations to couvert_definer;
