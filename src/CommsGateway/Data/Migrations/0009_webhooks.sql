-- Inbound patient and provider signals (issue 5): de-duplication of webhook deliveries. Providers retry webhooks
-- (SendGrid for 24 h, Twilio on timeouts): each event must take effect once, and a replayed signed body must not
-- re-grant or re-withdraw anything. No addresses are kept here: ids, the event type and hashes only.

-- SendGrid event webhook: one row per sg_event_id ever processed.
create table sendgrid_events (
    sg_event_id  text primary key,
    event        text        not null,
    decision_id  uuid,
    tenant_id    text,
    occurred_at  timestamptz,
    received_at  timestamptz not null default now()
);

-- Twilio inbound messages (STOP/START replies): one row per MessageSid acted on.
create table twilio_inbound_messages (
    message_sid  text primary key,
    channel      text        not null check (channel in ('sms', 'whatsapp')),
    intent       text        not null check (intent in ('opt_out', 'opt_in', 'none')),
    body_sha256  text        not null,
    patients     int         not null,
    received_at  timestamptz not null default now()
);

-- A STOP reply is matched to every patient whose number is on record, across clinics.
create index contacts_phone on contacts (phone_e164) where phone_e164 is not null;
create index contacts_whatsapp on contacts (whatsapp_e164) where whatsapp_e164 is not null;
