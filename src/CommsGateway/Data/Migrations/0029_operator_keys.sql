-- Operator keys: admin API keys that belong to no clinic and may add clinics and set their sender identities
-- (a clinic's own key cannot: it could otherwise send under another clinic's number). Issued by the CLI only.
alter table api_keys
    alter column tenant_id drop not null,
    add column scope text not null default 'tenant' check (scope in ('tenant', 'operator')),
    add constraint api_keys_scope_tenant check ((scope = 'tenant') = (tenant_id is not null));
