-- Suppressions hashed with a key (issue 3, privacy): HMAC-SHA256(Privacy:AddressHashKey, normalised address) instead
-- of a plain SHA-256, which a brute force over phone numbers or likely emails reverses. pgcrypto (a trusted extension
-- since PostgreSQL 13: the database owner may create it) gives hmac() to the decision read, which hashes the contact's
-- address in the same statement that looks the suppression up.
create extension if not exists pgcrypto;

-- Existing rows are legacy SHA-256: still matched (nothing that was blocked stops being blocked). The gateway re-keys,
-- at start-up, those whose address is still in contacts; the key is not known here. Legacy 'erased' rows of addresses
-- no longer held cannot be re-keyed. The primary key stays (tenant, channel, hash, reason): a keyed and an unkeyed
-- hash of different addresses do not collide.
alter table suppressions add column hash_scheme text not null default 'sha256'
    check (hash_scheme in ('sha256', 'hmac-sha256'));

-- Start-up and erasure ask whether any legacy row is left: answered from this index, not a scan.
create index suppressions_legacy on suppressions (tenant_id) where hash_scheme = 'sha256';
