-- Suppressions have one hash: HMAC-SHA256 under Privacy:AddressHashKey (AddressHasher). Every row the gateway writes
-- is keyed, and no deployment holds unkeyed SHA-256 rows, so the column telling the two apart and its index go; a
-- development database's unkeyed rows (matched by nothing any more) go with them.
delete from suppressions where hash_scheme <> 'hmac-sha256';
drop index suppressions_legacy;
alter table suppressions drop column hash_scheme;
