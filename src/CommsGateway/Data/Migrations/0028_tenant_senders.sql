-- Who each clinic sends as, stored with the clinic: read with the clinic's settings for every decision (a channel
-- without its identity is Blocked NoSenderIdentity) and by the Twilio inbound webhook to tell which clinic a reply
-- was written to. There is no gateway-wide default: a clinic never sends under another clinic's name.
alter table tenants
    add column email_from                     text,
    add column email_from_name                text,
    add column reply_to                       text,
    add column sms_from                       text,
    add column messaging_service_sid          text,
    add column whatsapp_from                  text,
    add column whatsapp_marketing_content_sid text,
    add column whatsapp_unsubscribe_variable  text,
    -- Answered to HELP / AIDE / INFO with the clinic's name (e.g. "01 23 45 67 89, accueil@clinique.example").
    add column help_contact                   text;

create index tenants_sms_from on tenants (sms_from) where sms_from is not null;
create index tenants_messaging_service_sid on tenants (messaging_service_sid) where messaging_service_sid is not null;
create index tenants_whatsapp_from on tenants (whatsapp_from) where whatsapp_from is not null;

-- HELP / AIDE / INFO replies are recorded like STOP and START (answered with the clinic's contact, no consent change).
alter table twilio_inbound_messages drop constraint twilio_inbound_messages_intent_check;
alter table twilio_inbound_messages add constraint twilio_inbound_messages_intent_check
    check (intent in ('opt_out', 'opt_in', 'help', 'none'));
