-- release_lapsed_holds runs as couvert_definer (0017): a booking frees the lapsed holds of other
-- guests' reservations, which it cannot read.  It was left executable by PUBLIC, and it did not ask
-- whose request it served, while it takes `now` from its caller: any login could pass a far-off
-- `now` and delete the table occupancies of live holds at any location - the rows the exclusion
-- constraint guards.  Now only the request roles may call it (what keeps other logins out), and an
-- API request only for a location of the request (the worker's for any), as find_or_create_customer
-- asks (what catches a bug of ours).
create or replace function public.release_lapsed_holds(
  p_location_id uuid, p_from timestamptz, p_to timestamptz, p_now timestamptz)
returns int
language plpgsql security definer set search_path = '' as $$
declare released int;
begin
  -- Not request_actor(): inside this function current_user is its owner (current_setting('role') is
  -- the request role).
  if not (p_location_id = any (public.readable_location_ids()) or current_setting('role') = 'couvert_worker') then
    raise exception 'not a request of location %', p_location_id using errcode = '42501';
  end if;
  delete from public.table_occupancies o
  using public.reservations r
  where o.location_id = p_location_id
    and r.location_id = p_location_id
    and o.reservation_id = r.id
    and o.occupied && tstzrange(p_from, p_to, '[)')
    and ((r.status in ('draft', 'pending_payment') and r.hold_expires_at <= p_now)
         or (r.status = 'option' and r.option_expires_at <= p_now));
  get diagnostics released = row_count;
  return released;
end
$$;
revoke execute on function public.release_lapsed_holds(uuid, timestamptz, timestamptz, timestamptz) from public;
grant execute on function public.release_lapsed_holds(uuid, timestamptz, timestamptz, timestamptz)
  to couvert_api, couvert_worker;
