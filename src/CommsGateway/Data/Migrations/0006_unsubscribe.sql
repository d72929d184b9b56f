-- Who an opaque subscriber reference (unsubscribe tokens carry no patient id) stands for. Written when a link is
-- issued; kept when the subscriber key changes, so links already sent still resolve.
create table unsubscribe_subscribers (
    tenant_id      text        not null,
    subscriber_ref text        not null,
    patient_id     text        not null,
    created_at     timestamptz not null default now(),
    primary key (tenant_id, subscriber_ref)
);

-- Evidence of every unsubscribe request honoured (link page or RFC 8058 one-click): one row per withdrawn channel,
-- rows of one request share request_id. Append-only, like the decision log (GDPR art. 7(1): demonstrate; 7(3): as
-- easy to withdraw as to give). The consent ledger gets the matching withdrawals (source unsubscribe_link).
create table unsubscribe_events (
    seq             bigint generated always as identity primary key,
    request_id      uuid        not null,
    tenant_id       text        not null,
    subscriber_ref  text        not null,
    patient_id      text,
    channel         text        not null,
    scope           text        not null check (scope in ('channel', 'all_marketing')),
    method          text        not null check (method in ('one_click', 'page')),
    campaign_id     text,
    key_id          text        not null,
    token_issued_at timestamptz not null,
    ip              inet,
    user_agent      text,
    occurred_at     timestamptz not null
);
create index unsubscribe_events_subscriber on unsubscribe_events (tenant_id, subscriber_ref, occurred_at);
create index unsubscribe_events_patient on unsubscribe_events (tenant_id, patient_id, occurred_at);

create trigger unsubscribe_events_append_only
    before update or delete on unsubscribe_events
    for each row execute function refuse_change();

create trigger unsubscribe_events_no_truncate
    before truncate on unsubscribe_events
    for each statement execute function refuse_change();
