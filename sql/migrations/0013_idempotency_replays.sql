-- Idempotency keys store no secret and expire (docs/decisions.md, "Security"): a replay is rebuilt
-- from the reservation itself, the manage token is derived again (manage_tokens.py) and the Stripe
-- client secret fetched again, both only for the caller who made the booking.  A key is kept one day.

alter table public.idempotency_keys add column reservation_id uuid;
alter table public.idempotency_keys add column caller_fingerprint text;
alter table public.idempotency_keys add column expires_at timestamptz;
comment on column public.idempotency_keys.caller_fingerprint is
  'Who made the booking (operator id, or a hash of a guest''s address and client): only they get its secrets again.';
comment on column public.idempotency_keys.expires_at is 'Written from the booking''s now + 24 h; an expired key is free again.';

update public.idempotency_keys
set reservation_id = nullif(response -> 'reservation' ->> 'id', '')::uuid,
    expires_at = created_at + interval '24 hours';
update public.idempotency_keys set response = null;  -- stored answers held tokens and client secrets
alter table public.idempotency_keys alter column expires_at set not null;
create index idempotency_keys_expiry_idx on public.idempotency_keys (expires_at);
