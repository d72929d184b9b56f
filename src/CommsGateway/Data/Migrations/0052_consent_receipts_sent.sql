-- Consent receipts emailed to patients after a change on the patient pages: which receipt, to which patient, when.
-- Also what bounds them: a link holder cannot make the gateway mail a patient more than a few receipts an hour.
create table consent_receipts_sent (
    receipt_id    text        primary key,
    tenant_id     text        not null,
    patient_id    text        not null,
    last_event_id bigint,
    sent_at       timestamptz not null
);

create index consent_receipts_sent_patient on consent_receipts_sent (tenant_id, patient_id, sent_at);

-- The origins allowed to embed a clinic's hosted consent form in an iframe (CSP frame-ancestors); none: not embeddable.
alter table tenants add column capture_form_origins text[] not null default '{}';
