-- Least privilege for the request roles (docs/decisions.md, "Security").

-- The migration history is the owner's: a request role that could rewrite it could hide a change.
revoke all on public.schema_migrations from couvert_api, couvert_worker;

-- A request transaction gets every timeout its role would have as a login, including the one that
-- ends a transaction left idle while it holds locks (a frozen Lambda, a crashed client).
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
  perform set_config('idle_in_transaction_session_timeout', case p_role when 'couvert_api' then '30s' else '60s' end,
                     true);
  perform set_config('request.jwt.claims', coalesce(p_claims::text, ''), true);
  perform set_config('couvert.guest_location_id', coalesce(p_guest_location_id::text, ''), true);
end
$$;
