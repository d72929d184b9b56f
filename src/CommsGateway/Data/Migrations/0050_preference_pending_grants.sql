-- Email grants asked for on the patient pages wait here until the patient confirms them from the address on record
-- (double opt-in): the consent ledger gets the grant only at confirmation, never before. A row is the proof of the
-- request (wording shown, when, from where); the confirmation link carries only the row's random id and its MAC.
create table preference_pending_grants (
    pending_id         text        primary key,
    tenant_id          text        not null,
    patient_id         text        not null,
    purpose            text        not null check (purpose in ('marketing')),
    channel            text        not null check (channel in ('email')),
    wording_version    text        not null,
    wording_sha256     text        not null,
    locale             text        not null check (locale in ('fr', 'en')),
    source             text        not null,
    requested_at       timestamptz not null,
    request_ip         inet,
    request_user_agent text,
    expires_at         timestamptz not null,
    confirmed_at       timestamptz,
    consent_event_id   bigint
);

create index preference_pending_grants_patient on preference_pending_grants (tenant_id, patient_id);
