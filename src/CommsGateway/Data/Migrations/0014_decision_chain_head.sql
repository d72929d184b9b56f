-- The decision chain's head per tenant (issue 8): the seq and row_hash of the tenant's newest decision. A chain
-- alone cannot tell "the newest rows were removed" from "nothing was decided since": `commsgw audit verify`
-- compares the end of the chain with this head. Retention removes only the oldest rows, never the head. One
-- statement-level trigger per insert (batched writers insert many rows in one statement); writers already hold
-- the tenant's advisory lock, so a tenant's seqs commit in order and the head only moves forward.
create table decision_chain_head (
    tenant_id text   primary key,
    seq       bigint not null,
    row_hash  bytea  not null
);

create function decision_chain_head_advance() returns trigger language plpgsql as $$
begin
    insert into decision_chain_head (tenant_id, seq, row_hash)
    select distinct on (tenant_id) tenant_id, seq, row_hash
    from inserted where row_hash is not null
    order by tenant_id, seq desc
    on conflict (tenant_id) do update set seq = excluded.seq, row_hash = excluded.row_hash
    where decision_chain_head.seq < excluded.seq;
    return null;
end;
$$;

create trigger decisions_chain_head
    after insert on decisions
    referencing new table as inserted
    for each statement execute function decision_chain_head_advance();

insert into decision_chain_head (tenant_id, seq, row_hash)
select distinct on (tenant_id) tenant_id, seq, row_hash
from decisions where row_hash is not null
order by tenant_id, seq desc;
