-- The SECURITY DEFINER functions get an owner of their own (docs/decisions.md, "Database roles").
--
-- Tables force row-level security, so a definer function owned by the migration owner sees no row
-- unless that owner is a superuser or BYPASSRLS - which a managed database's master user is not.
-- couvert_definer never logs in; it owns the definer functions and has exactly the read policies
-- they need: who is a member of which location, and which reservation a manage token opens.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'couvert_definer') then
    create role couvert_definer nologin nobypassrls;
  end if;
end
$$;

-- The migration owner hands the functions over (ALTER ... OWNER needs membership of the new owner
-- and the new owner's CREATE right on the schema), and runs configuration loads as the worker role.
do $$
begin
  execute format('grant couvert_definer, couvert_worker to %I', current_user);
end
$$;
grant usage, create on schema public to couvert_definer;

grant select on public.location_members to couvert_definer;
grant select (id, location_id, manage_token_hash) on public.reservations to couvert_definer;
create policy "the definer reads every membership" on public.location_members
  for select to couvert_definer using (true);
create policy "the definer reads every reservation's manage token hash" on public.reservations
  for select to couvert_definer using (true);

alter function public.operator_location_ids(text[]) owner to couvert_definer;
alter function public.guest_reservation_location(uuid, text) owner to couvert_definer;
