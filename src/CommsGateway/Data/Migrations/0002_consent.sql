-- Consent ledger and contact directory (issue 3).

-- A clinic. settings holds the per-clinic policy (consent_lapse_months, time_zone, default_region,
-- sender identities ...), read into TenantPolicySettings; unknown keys are ignored.
create table tenants (
    tenant_id  text primary key,
    name       text        not null,
    settings   jsonb       not null default '{}',
    created_at timestamptz not null default now()
);

-- Admin API keys: "<key_id>.<secret>"; only the secret's SHA-256 is kept, so a database leak yields no usable key.
create table api_keys (
    key_id        text primary key,
    tenant_id     text        not null references tenants (tenant_id),
    secret_sha256 bytea       not null,
    label         text        not null,
    created_by    text        not null,
    created_at    timestamptz not null default now(),
    revoked_at    timestamptz
);
create index api_keys_tenant on api_keys (tenant_id);

-- The contact directory. Addresses are stored normalised (E.164, lower-case email) so misdirection and
-- suppression checks compare like with like. source_occurred_at orders producer updates that arrive late.
create table contacts (
    tenant_id           text        not null,
    patient_id          text        not null,
    first_name          text,
    last_name           text,
    email               text,
    phone_e164          text,
    whatsapp_e164       text,
    locale              text,
    time_zone           text,
    last_interaction_at timestamptz,
    source_occurred_at  timestamptz,
    updated_by          text        not null,
    updated_at          timestamptz not null default now(),
    primary key (tenant_id, patient_id)
);

-- The consent ledger (GDPR art. 7(1): the clinic must demonstrate consent). One row = one grant or withdrawal
-- for exactly one (purpose, channel[, placement]). Append-only; current state is derived, never edited.
create table consent_events (
    event_id        bigint generated always as identity primary key,
    tenant_id       text        not null,
    patient_id      text        not null,
    purpose         text        not null check (purpose in ('marketing', 'service', 'photo_marketing')),
    channel         text        check (channel in ('email', 'sms', 'whatsapp')),
    placement       text        check (placement in ('newsletter', 'social_media', 'website', 'flyer', 'billboard', 'other')),
    action          text        not null check (action in ('grant', 'withdraw')),
    occurred_at     timestamptz not null,
    recorded_at     timestamptz not null default now(),
    source          text        not null,
    wording_version text,
    wording_sha256  text,
    captured_by     text,
    form_url        text,
    ip              text,
    user_agent      text,
    evidence        jsonb       not null default '{}',
    recorded_by     text        not null,
    -- A grant without its proof is not recordable (art. 7(1)); photo consent names its placement.
    check (action = 'withdraw' or (wording_version is not null and wording_sha256 is not null and captured_by is not null)),
    check ((purpose = 'photo_marketing') = (placement is not null)),
    check (purpose = 'photo_marketing' or channel is not null)
);
create index consent_events_patient on consent_events (tenant_id, patient_id, purpose, channel, placement, occurred_at desc, event_id desc);

-- Append-only, with one narrow exception: erasure (GDPR art. 17) may blank the event's personal
-- provenance (ip, user agent, form URL, extra evidence) when the session says so; nothing else moves.
create function consent_events_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE'
       and coalesce(current_setting('commsgw.erasure', true), '') = 'on'
       and new.ip is null and new.user_agent is null and new.form_url is null and new.evidence = '{"erased": true}'::jsonb
       and (new.event_id, new.tenant_id, new.patient_id, new.purpose, new.channel, new.placement, new.action,
            new.occurred_at, new.recorded_at, new.source, new.wording_version, new.wording_sha256, new.captured_by,
            new.recorded_by)
           is not distinct from
           (old.event_id, old.tenant_id, old.patient_id, old.purpose, old.channel, old.placement, old.action,
            old.occurred_at, old.recorded_at, old.source, old.wording_version, old.wording_sha256, old.captured_by,
            old.recorded_by) then
        return new;
    end if;
    raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
end;
$$;

create trigger consent_events_append_only
    before update or delete on consent_events
    for each row execute function consent_events_guard();

create trigger consent_events_no_truncate
    before truncate on consent_events
    for each statement execute function refuse_change();

-- Current state: the latest event per (tenant, patient, purpose, channel, placement) by occurred_at,
-- ties broken by recording order (event_id).
create view consent_current as
select distinct on (tenant_id, patient_id, purpose, coalesce(channel, ''), coalesce(placement, ''))
       event_id, tenant_id, patient_id, purpose, channel, placement, action, occurred_at, recorded_at
from consent_events
order by tenant_id, patient_id, purpose, coalesce(channel, ''), coalesce(placement, ''), occurred_at desc, event_id desc;

-- Address-level blocks, separate from consent. Keyed by the SHA-256 of the normalised address so an
-- erased patient's address stays blocked without being kept.
create table suppressions (
    tenant_id    text        not null,
    channel      text        not null check (channel in ('email', 'sms', 'whatsapp')),
    address_hash bytea       not null,
    reason       text        not null check (reason in ('hard_bounce', 'spam_complaint', 'provider_opt_out', 'erased')),
    created_at   timestamptz not null default now(),
    primary key (tenant_id, channel, address_hash, reason)
);

-- Who did which admin action when (need-to-know access, every admin action attributed). Append-only.
create table admin_audit (
    audit_id   bigint generated always as identity primary key,
    tenant_id  text        not null,
    actor      text        not null,
    on_behalf  text,
    action     text        not null,
    patient_id text,
    detail     jsonb       not null default '{}',
    at         timestamptz not null default now()
);
create index admin_audit_tenant on admin_audit (tenant_id, at);

create trigger admin_audit_append_only
    before update or delete on admin_audit
    for each row execute function refuse_change();

create trigger admin_audit_no_truncate
    before truncate on admin_audit
    for each statement execute function refuse_change();
