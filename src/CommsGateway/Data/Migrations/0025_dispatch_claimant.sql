-- Which gateway process claimed a dispatch (its GatewayInstance key). That process holds a PostgreSQL advisory lock on
-- the key for as long as it lives, so a redelivered intent can tell a claim whose call may still be running (the lock
-- is held) from one a crash orphaned (nobody holds it) and resume the latter at once. Null: claimed before this column.
alter table dispatches add column claimed_by bigint;
