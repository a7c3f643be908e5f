-- name: create_schema_migrations
create table if not exists public.schema_migrations (
  filename text primary key,
  checksum text not null,
  applied_at timestamptz not null default now()
)

-- name: lock_migrations
select pg_advisory_lock(%(key)s)

-- name: unlock_migrations
select pg_advisory_unlock(%(key)s)

-- name: applied_migrations
select filename, checksum from public.schema_migrations

-- name: record_migration
insert into public.schema_migrations (filename, checksum) values (%(filename)s, %(checksum)s)

-- name: renew_configuration_versions
-- After a run that applied migrations: every location's setup is read afresh by the running
-- functions (migration 0029).
select public.renew_configuration_versions()
