-- Tamper evidence for the decision log (GDPR art. 5(2), art. 30): every row carries the hash of the previous
-- row of the same tenant and its own hash over a canonical encoding of the row (Core/Audit/ChainHash.cs,
-- chain_version 1). Writers serialise per tenant with pg_advisory_xact_lock(hashtextextended(tenant_id, 0)),
-- read the tenant's last row_hash, compute, insert, all in one transaction. `commsgw audit verify` re-computes.
alter table decisions
    add column prev_hash     bytea,
    add column row_hash      bytea,
    add column chain_version smallint;

-- Rows written before this migration have no hash and are reported as unchained; every new row must have one.
alter table decisions
    add constraint decisions_chained check (row_hash is not null and prev_hash is not null and chain_version is not null) not valid;

-- The chain head (last row of a tenant) and the verifier's walk, both in seq order per tenant.
create index decisions_tenant_seq on decisions (tenant_id, seq);
