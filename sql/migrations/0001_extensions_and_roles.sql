-- Extensions and the database roles every later migration grants to.
--
-- couvert_api    : the API functions.  No BYPASSRLS: every row it sees passes a policy.
-- couvert_worker : the scheduled sweeps and the Stripe webhook, which work across locations
--                  (their own permissive policies, still no BYPASSRLS).
-- Both may log in once a deployer gives them a password; a superuser or an authenticator role
-- that is a member switches to them per transaction with `set local role` (PostgREST-style).
create extension if not exists btree_gist;
create extension if not exists pgcrypto;

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'couvert_api') then
    create role couvert_api login nobypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'couvert_worker') then
    create role couvert_worker login nobypassrls;
  end if;
end
$$;

-- Timeouts are role defaults: RDS Proxy rejects connect-time options.
alter role couvert_api set statement_timeout = '10s';
alter role couvert_api set lock_timeout = '3s';
alter role couvert_api set idle_in_transaction_session_timeout = '30s';
alter role couvert_worker set statement_timeout = '60s';
alter role couvert_worker set lock_timeout = '5s';
alter role couvert_worker set idle_in_transaction_session_timeout = '60s';

grant usage on schema public to couvert_api, couvert_worker;
