-- A clinic's own consent wordings for the patient pages and its capture form: one text per item (purpose.channel or
-- photo_marketing.placement) and language under a version id. A wording is evidence of what patients were shown,
-- so it is never edited or removed: a new text is a new version, and the latest one per item and language is shown.
create table consent_wordings (
    tenant_id  text        not null,
    version    text        not null,
    item       text        not null,
    locale     text        not null check (locale in ('fr', 'en')),
    text       text        not null,
    sha256     text        not null,
    created_at timestamptz not null default now(),
    created_by text        not null,
    seq        bigint      generated always as identity,
    primary key (tenant_id, version)
);

create function consent_wordings_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'consent_wordings is append-only: register a new version instead';
end $$;

create trigger consent_wordings_append_only before update or delete on consent_wordings
    for each row execute function consent_wordings_append_only();
