-- Intents the policy deferred (quiet hours, not yet due). No delayed-message plugin in Debian's RabbitMQ,
-- so they wait here and a poller picks due rows with FOR UPDATE SKIP LOCKED (safe with N gateways).
-- The intent (content included) is kept only until its final decision, then the row is deleted.
create table deferred_intents (
    tenant_id            text        not null,
    intent_id            text        not null,
    due_at               timestamptz not null,
    intent               jsonb       not null,
    deferred_decision_id uuid        not null references decisions (decision_id),
    attempts             int         not null default 0,
    created_at           timestamptz not null default now(),
    primary key (tenant_id, intent_id)
);
create index deferred_intents_due on deferred_intents (due_at);
