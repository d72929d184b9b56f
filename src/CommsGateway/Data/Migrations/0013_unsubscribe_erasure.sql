-- Erasure (GDPR art. 17) blanks an unsubscribe request's personal provenance (IP, user agent), as 0002 lets it do
-- for the consent ledger; the request itself (who, which channel, when, by which token) stays as evidence
-- (art. 17(3)(e)). Outside an erasure, and for any other column, the table stays append-only.
create function unsubscribe_events_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE'
       and coalesce(current_setting('commsgw.erasure', true), '') = 'on'
       and new.ip is null and new.user_agent is null
       and to_jsonb(new) - 'ip' - 'user_agent' = to_jsonb(old) - 'ip' - 'user_agent' then
        return new;
    end if;
    raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
end;
$$;

drop trigger unsubscribe_events_append_only on unsubscribe_events;
create trigger unsubscribe_events_append_only
    before update or delete on unsubscribe_events
    for each row execute function unsubscribe_events_guard();
