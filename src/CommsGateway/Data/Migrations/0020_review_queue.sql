-- The review queue: intents the classifier could not call service or marketing wait for a person at the clinic.
-- A Held decision, like a Deferred one, is not final: the intent's final decision follows it (review or timeout).
drop index decisions_final_per_intent;
create unique index decisions_final_per_intent on decisions (tenant_id, intent_id) where outcome not in ('Deferred', 'Held');
create unique index decisions_held_per_intent on decisions (tenant_id, intent_id) where outcome = 'Held';

-- One row per held intent. The intent (content included) and the uncertain sentence are AES-GCM encrypted with
-- Review:ContentKey (content_nonce || ciphertext || tag), and nulled once the intent is settled (decided or timed
-- out): the row then keeps only what the review itself was (who, when, which verdict).
-- status: held -> settled (a reviewer's verdict, not yet decided) -> decided; held -> timed_out.
create table held_intents (
    held_id            uuid        primary key,
    tenant_id          text        not null references tenants (tenant_id),
    intent_id          text        not null,
    -- Retention removes a held row with its decisions (like deferred_intents and dispatches); its template verdicts stay.
    held_decision_id   uuid        not null references decisions (decision_id) on delete cascade,
    content            bytea,
    -- The text with personal data masked (names, dates, amounts, codes, addresses), encrypted like content but kept
    -- after settlement: reviewed messages become labelled training examples (review export-labels).
    label_text         bytea,
    probability        double precision not null,
    score              double precision not null,
    signals            text[]      not null default '{}',
    template_key       bytea       not null,
    channel            text        not null,
    held_at            timestamptz not null,
    expires_at         timestamptz not null,
    status             text        not null default 'held',
    verdict            text,
    reviewed_by        text,
    reviewed_at        timestamptz,
    note               text,
    via_template_id    bigint,
    final_decision_id  uuid,
    settled_at         timestamptz,
    unique (tenant_id, intent_id)
);
create index held_intents_open on held_intents (expires_at) where status = 'held';
create index held_intents_settled on held_intents (reviewed_at) where status = 'settled';
create index held_intents_tenant on held_intents (tenant_id, held_at);

-- Remembered verdicts per clinic template (masked text, hashed). At most one live verdict per template; a revoked
-- one stays for the record.
create table review_templates (
    template_id   bigint generated always as identity primary key,
    tenant_id     text        not null references tenants (tenant_id),
    template_key  bytea       not null,
    verdict       text        not null,
    reviewed_by   text        not null,
    reviewed_at   timestamptz not null,
    held_id       uuid references held_intents (held_id) on delete set null,
    campaign_id   text,
    note          text,
    revoked_by    text,
    revoked_at    timestamptz
);
create unique index review_templates_live on review_templates (tenant_id, template_key) where revoked_at is null;
