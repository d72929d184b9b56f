-- Campaigns for marketing staff (issue 7). A campaign is content + audience + channel preference; its messages
-- are ordinary MessageIntents decided by the gateway one by one, so a campaign can never bypass the policy.
create table campaigns (
    campaign_id       text        primary key,
    tenant_id         text        not null references tenants (tenant_id),
    name              text        not null,
    -- Liquid (Fluid) templates per locale: {"fr": "...", "en": "..."}; subject_templates likewise (email only).
    templates         jsonb       not null,
    subject_templates jsonb       not null default '{}',
    -- Ordered preference: each patient gets the first channel with a live marketing grant.
    channels          text[]      not null check (cardinality(channels) between 1 and 3
                                                  and channels <@ array['email', 'sms', 'whatsapp']),
    audience_kind     text        not null check (audience_kind in ('patients', 'consented')),
    -- audience_kind = 'consented': every patient with a current marketing grant on this channel.
    audience_channel  text        check (audience_channel in ('email', 'sms', 'whatsapp')),
    not_before        timestamptz,
    expires_at        timestamptz,
    status            text        not null default 'draft' check (status in ('draft', 'queuing', 'queued', 'cancelled')),
    recipient_count   int         not null default 0,
    queued_count      int         not null default 0,
    created_by        text        not null,
    created_at        timestamptz not null default now(),
    queued_at         timestamptz,
    cancelled_by      text,
    cancelled_at      timestamptz,
    check ((audience_kind = 'consented') = (audience_channel is not null))
);
create index campaigns_tenant on campaigns (tenant_id, created_at desc);

-- An explicit audience (CSV of patient ids). Ids only: addresses are resolved from contacts at decision time.
create table campaign_recipients (
    campaign_id text not null references campaigns (campaign_id),
    patient_id  text not null,
    primary key (campaign_id, patient_id)
);
