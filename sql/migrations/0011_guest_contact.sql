-- A guest request never updates an existing customer nor reads what is stored about them: each
-- reservation keeps the contact details its booking gave (docs/decisions.md, "Security").  The
-- customer is still found by (location, lower(email)), so a returning guest is recognised; only
-- operators change a customer's record.

alter table public.reservations add column contact_first_name text;
alter table public.reservations add column contact_last_name text;
alter table public.reservations add column contact_email text;
alter table public.reservations add column contact_phone text;
alter table public.reservations add column contact_locale text;
alter table public.reservations add constraint reservations_contact_phone_e164
  check (contact_phone is null or contact_phone ~ '^\+[1-9][0-9]{6,14}$');
comment on column public.reservations.contact_email is
  'The contact details this booking gave (guests see these, never the customer record they matched).';

update public.reservations r
set contact_first_name = c.first_name, contact_last_name = c.last_name, contact_email = c.email,
    contact_phone = c.phone_number, contact_locale = c.locale
from public.customers c
where c.location_id = r.location_id and c.id = r.customer_id;
