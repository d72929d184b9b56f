-- The consent ledger's hash chain is computed by the gateway's one append path (ConsentLedger, with Core's
-- ChainHash: the decision log's encoding and verifier), no longer by a trigger. The columns, the head, the
-- tombstones and the append-only guard stay; the trigger and its PL/pgSQL encoding go.
drop trigger consent_events_chain on consent_events;
drop function consent_events_chain();
drop function consent_event_canonical(consent_events);

-- Events chained with the trigger's encoding (none on a fresh install: nothing was deployed with it) become
-- unchained rows that precede the chain, as the decision log's rows from before its chain; the chain restarts.
alter table consent_events disable trigger consent_events_append_only;
update consent_events set chain_seq = null, prev_hash = null, row_hash = null where chain_seq is not null;
alter table consent_events enable trigger consent_events_append_only;
alter table consent_chain_tombstones disable trigger consent_chain_tombstones_append_only;
delete from consent_chain_tombstones;
alter table consent_chain_tombstones enable trigger consent_chain_tombstones_append_only;
delete from consent_chain_head;
