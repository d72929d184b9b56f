-- Which secret keys this database's data was written with, as fingerprints (HMAC of a fixed label under the key: the
-- key itself is never stored). Suppression hashes are HMACs under Privacy:AddressHashKey: started with another key,
-- the gateway would silently stop matching every suppression, erasures included, so it refuses to start instead.
create table key_fingerprints (
    name        text        primary key,
    fingerprint bytea       not null,
    recorded_at timestamptz not null default now()
);
