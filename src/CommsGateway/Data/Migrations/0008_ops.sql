-- Operations: retention with an audited, narrow bypass of the decision log's append-only rule,
-- a pseudonymised statistical copy of what retention removes, and an admin audit for breach reveals.

-- Per-clinic retention (GDPR art. 5(1)(e) storage limitation). Clinics without a row use the gateway's
-- defaults (Retention options): decisions 36 months; consent evidence 60 months after withdrawal/lapse
-- (the limitation period during which the clinic may have to prove the consent it relied on, art. 7(1)).
create table retention_settings (
    tenant_id                  text primary key,
    decisions_months           int         not null check (decisions_months >= 1),
    consent_after_end_months   int         not null check (consent_after_end_months >= 1),
    keep_pseudonymised_copy    boolean     not null default true,
    updated_by                 text        not null,
    updated_at                 timestamptz not null default now()
);

-- What each retention run did, per tenant and table. Append-only. chain_anchor is the row_hash of the last
-- decision removed (seq order): the decision-chain verifier starts the tenant's chain from the latest
-- anchor instead of the genesis hash, so the remaining rows stay verifiable.
create table retention_runs (
    run_id            bigint generated always as identity primary key,
    txid              bigint      not null default txid_current(),
    tenant_id         text        not null,
    table_name        text        not null check (table_name in ('decisions', 'consent_events')),
    cutoff            timestamptz not null,
    dry_run           boolean     not null,
    pseudonymised     int         not null default 0,
    removed           int         not null default 0,
    removed_related   jsonb       not null default '{}',
    first_removed_seq bigint,
    last_removed_seq  bigint,
    chain_anchor      bytea,
    actor             text        not null,
    ran_at            timestamptz not null default now()
);
create index retention_runs_tenant on retention_runs (tenant_id, table_name, run_id);
create index retention_runs_txid on retention_runs (txid);

create trigger retention_runs_append_only
    before update or delete on retention_runs
    for each row execute function refuse_change();

-- Statistics that outlive the rows: no intent id, no content hash, no details; the patient becomes a hash
-- salted per run (rows of one patient within one run still link, nothing links back). Pseudonymised data
-- remains personal data (recital 26) but far less identifying.
create table decisions_pseudonymised (
    run_id           bigint      not null references retention_runs (run_id),
    tenant_id        text        not null,
    decided_month    date        not null,
    patient_ref      text,
    channel          text        not null,
    category         text,
    campaign_id      text,
    declared_purpose text        not null,
    detected_purpose text        not null,
    outcome          text        not null,
    reasons          text[]      not null,
    policy_version   text        not null
);
create index decisions_pseudonymised_tenant on decisions_pseudonymised (tenant_id, decided_month);

-- The decision log stays append-only, with one exception: a DELETE of a row that a retention run of the
-- same transaction has recorded (tenant, seq range) in retention_runs. No report row, no delete.
create function decisions_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE'
       and coalesce(current_setting('commsgw.retention_purge', true), '') = 'on'
       and exists (select 1 from retention_runs r
                   where r.txid = txid_current() and r.table_name = 'decisions' and not r.dry_run
                     and r.tenant_id = old.tenant_id and old.seq between r.first_removed_seq and r.last_removed_seq) then
        return old;
    end if;
    raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
end;
$$;

drop trigger decisions_append_only on decisions;
create trigger decisions_append_only
    before update or delete on decisions
    for each row execute function decisions_guard();

-- Removes a tenant's decisions decided before p_cutoff, oldest first, as one prefix of the tenant's seq order
-- (rows after the first one still inside the retention window wait for a later run) so the hash chain of what
-- remains is intact. Related operational rows (dispatches, deliveries, deferred intents) go with them.
-- SECURITY DEFINER: grant EXECUTE on it, and no DELETE on decisions, to the application role.
create function retention_purge_decisions(p_tenant text, p_cutoff timestamptz, p_pseudonymise boolean,
                                          p_actor text, p_dry_run boolean)
returns retention_runs language plpgsql security definer set search_path = public as $$
declare
    v_first_kept bigint;
    v_first bigint;
    v_last bigint;
    v_count int;
    v_anchor bytea;
    v_run retention_runs;
    v_related jsonb;
    v_n int;
    v_salt text := gen_random_uuid()::text;
begin
    select min(seq) into v_first_kept from decisions where tenant_id = p_tenant and decided_at >= p_cutoff;
    select min(seq), max(seq), count(*) into v_first, v_last, v_count
    from decisions where tenant_id = p_tenant and (v_first_kept is null or seq < v_first_kept);

    if v_count > 0 then
        select d.row_hash into v_anchor from decisions d where d.tenant_id = p_tenant and d.seq = v_last;
    end if;

    select count(*) into v_n from dispatches p join decisions d using (decision_id)
    where d.tenant_id = p_tenant and d.seq between v_first and v_last;
    v_related := jsonb_build_object('dispatches', v_n);
    select count(*) into v_n from deferred_intents i join decisions d on d.decision_id = i.deferred_decision_id
    where d.tenant_id = p_tenant and d.seq between v_first and v_last;
    v_related := v_related || jsonb_build_object('deferred_intents', v_n);
    select count(*) into v_n from deliveries x join decisions d using (decision_id)
    where d.tenant_id = p_tenant and d.seq between v_first and v_last;
    v_related := v_related || jsonb_build_object('deliveries', v_n);

    -- The report row comes first: the trigger lets through only rows it covers.
    insert into retention_runs (tenant_id, table_name, cutoff, dry_run, pseudonymised, removed, removed_related,
                                first_removed_seq, last_removed_seq, chain_anchor, actor)
    values (p_tenant, 'decisions', p_cutoff, p_dry_run, case when p_pseudonymise then v_count else 0 end, v_count, v_related,
            v_first, v_last, v_anchor, p_actor)
    returning * into v_run;

    if p_dry_run or v_count = 0 then
        return v_run;
    end if;

    if p_pseudonymise then
        insert into decisions_pseudonymised (run_id, tenant_id, decided_month, patient_ref, channel, category, campaign_id,
                                             declared_purpose, detected_purpose, outcome, reasons, policy_version)
        select v_run.run_id, tenant_id, date_trunc('month', decided_at at time zone 'UTC')::date,
               case when patient_id is null then null else encode(sha256(convert_to(v_salt || patient_id, 'UTF8')), 'hex') end,
               channel, category, campaign_id, declared_purpose, detected_purpose, outcome, reasons, policy_version
        from decisions where tenant_id = p_tenant and seq between v_first and v_last;
    end if;

    perform set_config('commsgw.retention_purge', 'on', true);
    delete from deliveries where decision_id in
        (select decision_id from decisions where tenant_id = p_tenant and seq between v_first and v_last);
    delete from deferred_intents where deferred_decision_id in
        (select decision_id from decisions where tenant_id = p_tenant and seq between v_first and v_last);
    delete from dispatches where decision_id in
        (select decision_id from decisions where tenant_id = p_tenant and seq between v_first and v_last);
    delete from decisions where tenant_id = p_tenant and seq between v_first and v_last;
    perform set_config('commsgw.retention_purge', 'off', true);
    return v_run;
end;
$$;

-- Consent evidence (consent_events, 0002) is kept while the consent is relied
-- on plus the limitation period: every event of a (patient, purpose, channel, placement) whose latest event is a
-- withdrawal before p_withdrawn_before, or a grant lapsed before p_lapsed_before (grant or last interaction older
-- than the lapse period + the keep period), goes. The consent_events guard honours the same flag and report row.
create function retention_purge_consent(p_tenant text, p_withdrawn_before timestamptz, p_lapsed_before timestamptz,
                                        p_actor text, p_dry_run boolean)
returns retention_runs language plpgsql security definer set search_path = public as $$
declare
    v_ids bigint[];
    v_run retention_runs;
begin
    with latest as (
        select distinct on (e.patient_id, e.purpose, coalesce(e.channel, ''), coalesce(e.placement, ''))
               e.patient_id, e.purpose, e.channel, e.placement, e.action, e.occurred_at
        from consent_events e where e.tenant_id = p_tenant
        order by e.patient_id, e.purpose, coalesce(e.channel, ''), coalesce(e.placement, ''), e.occurred_at desc, e.event_id desc
    ), ended as (
        select l.* from latest l
        left join contacts c on c.tenant_id = p_tenant and c.patient_id = l.patient_id
        where (l.action = 'withdraw' and l.occurred_at < p_withdrawn_before)
           or (l.action = 'grant' and greatest(l.occurred_at, coalesce(c.last_interaction_at, l.occurred_at)) < p_lapsed_before)
    )
    select coalesce(array_agg(e.event_id), '{}') into v_ids from consent_events e join ended x
      on e.tenant_id = p_tenant and e.patient_id = x.patient_id and e.purpose = x.purpose
     and e.channel is not distinct from x.channel and e.placement is not distinct from x.placement;

    insert into retention_runs (tenant_id, table_name, cutoff, dry_run, removed, first_removed_seq, last_removed_seq, actor)
    values (p_tenant, 'consent_events', p_withdrawn_before, p_dry_run, cardinality(v_ids),
            (select min(i) from unnest(v_ids) i), (select max(i) from unnest(v_ids) i), p_actor)
    returning * into v_run;

    if not p_dry_run and cardinality(v_ids) > 0 then
        perform set_config('commsgw.retention_purge', 'on', true);
        delete from consent_events where event_id = any(v_ids);
        perform set_config('commsgw.retention_purge', 'off', true);
    end if;
    return v_run;
end;
$$;

-- Breach scoping reads decisions by time across tenants.
create index dispatches_updated_at on dispatches (updated_at);
