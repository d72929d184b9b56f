-- The channel each campaign recipient got at the campaign's first queue (issue 7). A re-queue reuses it: choosing
-- again from the preference would give a patient whose consent changed in between a NEW intent id on another
-- channel (the id carries the channel), and the patient would be messaged twice. Null until first queued.
alter table campaign_recipients add column channel text check (channel in ('email', 'sms', 'whatsapp'));
