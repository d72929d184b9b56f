-- Delivery tracking: provider status events (Twilio status callbacks, SendGrid event webhook) per decision.
-- Append-only in practice; the latest status is also noted on the dispatch row for quick reads.
create table deliveries (
    id                  bigint generated always as identity primary key,
    decision_id         uuid        not null references decisions (decision_id),
    provider            text        not null,
    provider_message_id text,
    status              text        not null,
    error_code          text,
    detail              text,
    occurred_at         timestamptz not null,
    received_at         timestamptz not null default now()
);
create index deliveries_decision on deliveries (decision_id, id);

alter table dispatches add column delivery_status text;
alter table dispatches add column delivery_updated_at timestamptz;
create index dispatches_provider_message on dispatches (provider, provider_message_id) where provider_message_id is not null;

-- Recipients a provider reported as opted out (Twilio 21610: the patient replied STOP to the carrier).
-- A note for the consent ledger to turn into a withdrawal; the address is data, never logged.
create table provider_opt_outs (
    id          bigint generated always as identity primary key,
    tenant_id   text        not null,
    channel     text        not null,
    address     text        not null,
    provider    text        not null,
    error_code  text        not null,
    decision_id uuid,
    recorded_at timestamptz not null default now(),
    unique (tenant_id, channel, address)
);
