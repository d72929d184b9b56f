-- The access log's head per clinic: the seq and row_hash of its newest entry, moved in the same transaction as the
-- append. A chain alone cannot tell "the newest entries were removed" from "nothing was viewed since": verification
-- compares the end of the chain with this head. Appends chain from the head, so an entry written after a removal
-- also breaks the chain at that entry.
create table console_access_log_head (
    tenant_id text   primary key,
    seq       bigint not null,
    row_hash  bytea  not null
);

insert into console_access_log_head (tenant_id, seq, row_hash)
select distinct on (tenant_id) tenant_id, seq, row_hash
from console_access_log
order by tenant_id, seq desc;

-- The head only moves forward and is never removed by the application.
create trigger console_access_log_head_no_delete
    before delete on console_access_log_head
    for each row execute function refuse_change();

create trigger console_access_log_head_no_truncate
    before truncate on console_access_log_head
    for each statement execute function refuse_change();
