-- Emailed consent receipts are decisions (category consent_receipt) in the decision log, which also bounds how many a
-- patient gets an hour: this table had no other reader.
drop table consent_receipts_sent;
