-- A booking's server time, continued (issue 15, item 2; bench/README.md, "Profile of one booking"):
-- the locations an operator may act on are looked up by a PL/pgSQL function, whose query plan
-- PostgreSQL keeps for the session, instead of an SQL function that it parses and plans again in
-- every statement that calls it.
--
-- Every row-level security policy of the API role calls operator_location_ids() (through
-- readable_location_ids() or directly), once per statement as an InitPlan, and so do request_actor()
-- and the audit trigger: about 28 calls in one booking.  As a SECURITY DEFINER function with its own
-- search_path it cannot be inlined, and PostgreSQL 15 keeps no plan for a non-inlined SQL function
-- beyond the statement that runs it: each call parsed, analysed and planned its query again.  A
-- statement as plain as the snapshot's `select ... from areas where location_id = $1` took 31 us
-- with the SQL function and 9 us with this one (2,000 runs in a PL/pgSQL loop, as couvert_api);
-- about 0.6 ms of a booking's 3.3 ms of server time.
--
-- The body, the signature, SECURITY DEFINER, the empty search_path, the owner (couvert_definer) and
-- the grants stay as they were (migrations 0004, 0015): only the language changes.
create or replace function public.operator_location_ids(p_roles text[] default array['owner', 'manager', 'host'])
returns uuid[]
language plpgsql stable security definer set search_path = '' as $$
begin
  return (select coalesce(array_agg(m.location_id), '{}')
          from public.location_members m
          where m.user_id = public.request_user_id()
            and m.role = any (p_roles));
end
$$;
