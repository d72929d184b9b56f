-- WhatsApp's 24-hour customer-service window: when each patient last wrote to the clinic on WhatsApp (any inbound
-- message, not only STOP/START). Free-form WhatsApp is allowed within 24 hours of it; outside, only approved templates.
create table whatsapp_sessions (
    tenant_id       text        not null,
    patient_id      text        not null,
    last_inbound_at timestamptz not null,
    primary key (tenant_id, patient_id)
);
