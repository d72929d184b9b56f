-- Tamper evidence for the consent ledger (issue 8), like the decision log's chain but computed by the
-- database itself at insert time, so every writer (admin API, CLI, unsubscribe link, STOP reply, provider
-- opt-out) is covered without exception. Each event's row_hash = SHA-256(canonical fields || prev_hash of the
-- tenant's previous event); chain_seq is assigned under a per-tenant lock, so the order is the commit order
-- even with several gateways. The hash covers what proves consent (who, what, when, how, which wording) but
-- not the provenance that erasure may blank (ip, user agent, form URL, extra evidence), so an erasure
-- (GDPR art. 17) does not break the chain. Retention may remove events: it leaves a tombstone with the
-- removed event's hashes, so the chain still verifies across the gap.
alter table consent_events
    add column chain_seq bigint,
    add column prev_hash bytea,
    add column row_hash  bytea;
create unique index consent_events_chain on consent_events (tenant_id, chain_seq);

-- Length-prefixed fields: no value can be shifted into its neighbour. Version 1.
create function consent_event_canonical(e consent_events) returns bytea language sql immutable as $$
    select convert_to(
        'consent-v1' ||
        (select string_agg(length(coalesce(f, '')) || ':' || coalesce(f, '') || (case when f is null then '!' else '.' end), '' order by n)
         from unnest(array[
             e.chain_seq::text, e.event_id::text, e.tenant_id, e.patient_id, e.purpose, e.channel, e.placement, e.action,
             to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
             to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
             e.source, e.wording_version, e.wording_sha256, e.captured_by, e.recorded_by
         ]) with ordinality as t(f, n)),
        'UTF8')
$$;

create function consent_events_chain() returns trigger language plpgsql as $$
declare
    v_seq  bigint;
    v_hash bytea;
begin
    perform pg_advisory_xact_lock(hashtextextended('consent-chain:' || new.tenant_id, 0));
    select h.chain_seq, h.row_hash into v_seq, v_hash from consent_chain_head h where h.tenant_id = new.tenant_id;
    new.chain_seq := coalesce(v_seq, 0) + 1;
    new.prev_hash := coalesce(v_hash, '\x'::bytea);
    new.row_hash := sha256(consent_event_canonical(new) || new.prev_hash);
    insert into consent_chain_head (tenant_id, chain_seq, row_hash) values (new.tenant_id, new.chain_seq, new.row_hash)
    on conflict (tenant_id) do update set chain_seq = excluded.chain_seq, row_hash = excluded.row_hash;
    return new;
end;
$$;

-- The head survives retention removing the newest events and makes the next link one index lookup.
create table consent_chain_head (
    tenant_id text primary key,
    chain_seq bigint not null,
    row_hash  bytea  not null
);

create trigger consent_events_chain
    before insert on consent_events
    for each row execute function consent_events_chain();

create table consent_chain_tombstones (
    tenant_id  text        not null,
    chain_seq  bigint      not null,
    event_id   bigint      not null,
    prev_hash  bytea       not null,
    row_hash   bytea       not null,
    removed_at timestamptz not null default now(),
    primary key (tenant_id, chain_seq)
);
create trigger consent_chain_tombstones_append_only
    before update or delete on consent_chain_tombstones
    for each row execute function refuse_change();

-- The guard: erasure may blank provenance (never the hashed fields or the chain); retention may delete an
-- event only inside a recorded retention run that covers it, and leaves a tombstone.
create or replace function consent_events_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE'
       and coalesce(current_setting('commsgw.erasure', true), '') = 'on'
       and new.ip is null and new.user_agent is null and new.form_url is null and new.evidence = '{"erased": true}'::jsonb
       and (new.event_id, new.tenant_id, new.patient_id, new.purpose, new.channel, new.placement, new.action,
            new.occurred_at, new.recorded_at, new.source, new.wording_version, new.wording_sha256, new.captured_by,
            new.recorded_by, new.chain_seq, new.prev_hash, new.row_hash)
           is not distinct from
           (old.event_id, old.tenant_id, old.patient_id, old.purpose, old.channel, old.placement, old.action,
            old.occurred_at, old.recorded_at, old.source, old.wording_version, old.wording_sha256, old.captured_by,
            old.recorded_by, old.chain_seq, old.prev_hash, old.row_hash) then
        return new;
    end if;

    if tg_op = 'DELETE'
       and coalesce(current_setting('commsgw.retention_purge', true), '') = 'on'
       and exists (select 1 from retention_runs r
                   where r.txid = txid_current() and r.table_name = 'consent_events' and not r.dry_run
                     and r.tenant_id = old.tenant_id and old.event_id between r.first_removed_seq and r.last_removed_seq) then
        if old.chain_seq is not null then
            insert into consent_chain_tombstones (tenant_id, chain_seq, event_id, prev_hash, row_hash)
            values (old.tenant_id, old.chain_seq, old.event_id, old.prev_hash, old.row_hash);
        end if;
        return old;
    end if;

    raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
end;
$$;
