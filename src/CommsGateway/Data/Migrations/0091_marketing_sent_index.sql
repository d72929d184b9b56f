-- The 7-day marketing frequency cap counts a patient's marketing sends for every intent decided. With only the
-- patient index, each count reads the patient's recent decision rows from the heap, rows the decision writer is
-- inserting into at the same time; this partial index holds the marketing sends alone, so most counts find no
-- entry at all and none reads a decision row.
create index decisions_marketing_sent on decisions (tenant_id, patient_id, decided_at)
    where detected_purpose = 'marketing' and outcome in ('Sent', 'SentWithMarketingRemoved');
