-- A booking's server time, continued (issue 15, item 2; bench/README.md, "Profile of one booking"):
-- a customer's tags are computed by a PL/pgSQL function, whose query plan PostgreSQL keeps for the
-- session, instead of an SQL function that it planned again in every transaction.
--
-- customer_tags() (migration 0009) reads from a VALUES list and the operator's tags, so it cannot be
-- inlined; called from the customers_refresh_tags trigger, PostgreSQL 15 parsed, analysed and planned
-- its query again in each transaction that wrote a customer.  A booking by a new guest writes one:
-- the customers INSERT took 0.29 ms in the booking profile, 0.21 ms of it in this trigger.
--
-- The query, the signature and IMMUTABLE stay as they were; only the language changes.
create or replace function public.customer_tags(p_operator_tags jsonb, p_visits int, p_no_shows int, p_cancels int)
returns jsonb
language plpgsql immutable as $$
begin
  return (
    select coalesce(jsonb_agg(tag order by n), '[]'::jsonb)
    from (select tag, min(n) as n
          from (select t.tag, t.n from jsonb_array_elements_text(coalesce(p_operator_tags, '[]')) with ordinality t(tag, n)
                union all
                select auto.tag, 1000 + auto.n from (values
                  ('new_guest', p_visits = 0, 1),
                  ('vip', p_visits >= 10, 2),
                  ('frequent_canceller', p_cancels >= 3 and p_cancels > p_visits, 3),
                  ('frequent_no_show', p_no_shows >= 2, 4)) auto(tag, applies, n)
                where auto.applies) all_tags
          group by tag) distinct_tags);
end
$$;
