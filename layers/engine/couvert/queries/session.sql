-- name: begin_request
select public.begin_request(%(role)s, %(claims)s::jsonb, %(guest_location_id)s::uuid)

-- name: focus_guest
-- What a guest request is about (a reservation or waitlist entry): the only such row it may see.
-- set_config runs inside the function: in the statement's own text it would pin an RDS Proxy connection.
select public.focus_guest(%(subject_id)s::uuid)

-- name: login_is_privileged
-- A superuser or BYPASSRLS login would make every row-level security policy moot.
select rolsuper or rolbypassrls as privileged from pg_catalog.pg_roles where rolname = session_user
