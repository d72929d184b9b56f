-- The decision log: one final decision per (tenant, intent). Append-only: the database itself
-- refuses UPDATE and DELETE, so no code path (or operator with the app's role) can rewrite history.
create table decisions (
    seq              bigint generated always as identity primary key,
    decision_id      uuid        not null unique,
    tenant_id        text        not null,
    intent_id        text        not null,
    patient_id       text,
    producer         text,
    channel          text        not null,
    category         text,
    campaign_id      text,
    declared_purpose text        not null,
    detected_purpose text        not null,
    outcome          text        not null,
    reasons          text[]      not null,
    details          text[]      not null default '{}',
    content_sha256   bytea,
    consent_event_id bigint,
    policy_version   text        not null,
    deferred_until   timestamptz,
    decided_at       timestamptz not null default now()
);

-- One final decision per intent; a Deferred decision may precede it (re-evaluated when due).
create unique index decisions_final_per_intent on decisions (tenant_id, intent_id) where outcome <> 'Deferred';
create unique index decisions_deferred_per_intent on decisions (tenant_id, intent_id) where outcome = 'Deferred';
create index decisions_patient on decisions (tenant_id, patient_id, decided_at);
create index decisions_campaign on decisions (tenant_id, campaign_id) where campaign_id is not null;
create index decisions_decided_at on decisions (decided_at);

create function refuse_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % refused', tg_table_name, tg_op
        using errcode = 'insufficient_privilege';
end;
$$;

create trigger decisions_append_only
    before update or delete on decisions
    for each row execute function refuse_change();

create trigger decisions_no_truncate
    before truncate on decisions
    for each statement execute function refuse_change();

-- Operational state of the provider call for a decision to send. Not the audit log: it moves
-- pending -> dispatching -> sent | failed, and a reconciler settles rows a crash left dispatching.
create table dispatches (
    decision_id         uuid primary key references decisions (decision_id),
    tenant_id           text        not null,
    intent_id           text        not null,
    channel             text        not null,
    status              text        not null,
    provider            text,
    provider_message_id text,
    error_code          text,
    error_detail        text,
    attempts            int         not null default 0,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now()
);
create index dispatches_unsettled on dispatches (status, updated_at) where status in ('pending', 'dispatching');
