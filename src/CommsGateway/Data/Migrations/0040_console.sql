-- Staff console: staff accounts per clinic (password + TOTP), the append-only hash-chained access log of who saw
-- which patient's data, and the exact consent wordings shown at the desk (kept by their SHA-256).
create table staff_accounts (
    staff_id          bigint generated always as identity primary key,
    tenant_id         text        not null references tenants (tenant_id),
    email             text        not null,
    display_name      text        not null,
    role              text        not null check (role in ('admin', 'dpo', 'marketing', 'reception')),
    password_hash     text        not null,
    totp_secret       text        not null,
    totp_enrolled_at  timestamptz,
    -- The last TOTP time step accepted: a code is accepted once (no replay within its 30 s window).
    totp_last_step    bigint      not null default 0,
    failed_sign_ins   integer     not null default 0,
    locked_until      timestamptz,
    disabled_at       timestamptz,
    created_at        timestamptz not null default now(),
    created_by        text        not null
);
-- One account per address across clinics: the sign-in form asks for the address only.
create unique index staff_accounts_email on staff_accounts (lower(email));

create table console_access_log (
    seq         bigint generated always as identity primary key,
    tenant_id   text        not null,
    staff_email text        not null,
    staff_role  text        not null,
    patient_id  text,
    what        text        not null,
    detail      text,
    at          timestamptz not null,
    from_ip     text,
    prev_hash   bytea       not null,
    row_hash    bytea       not null
);
create index console_access_log_patient on console_access_log (tenant_id, patient_id, seq);
create index console_access_log_staff on console_access_log (tenant_id, lower(staff_email), seq);
create index console_access_log_tenant on console_access_log (tenant_id, seq);

create trigger console_access_log_append_only
    before update or delete on console_access_log
    for each row execute function refuse_change();

create trigger console_access_log_no_truncate
    before truncate on console_access_log
    for each statement execute function refuse_change();

create table console_desk_wordings (
    tenant_id      text        not null,
    wording_sha256 text        not null,
    version        text        not null,
    text           text        not null,
    first_shown_at timestamptz not null default now(),
    primary key (tenant_id, wording_sha256)
);
