-- One table of consent wordings: the sentences the console's desk form shows (kept by their hash, first shown at)
-- join the clinic's catalogue (consent_wordings), owned by WordingCatalogue. shown_on tells them apart: the patient
-- pages and the capture form show only the catalogue's own ('patient_pages'); a desk sentence ('desk') names the
-- clinic, so one version may hold several texts over time (a renamed clinic) and is unique by its text's hash.
alter table consent_wordings
    add column shown_on text not null default 'patient_pages' check (shown_on in ('patient_pages', 'desk'));
alter table consent_wordings drop constraint consent_wordings_pkey;
create unique index consent_wordings_version on consent_wordings (tenant_id, version) where shown_on = 'patient_pages';
create unique index consent_wordings_desk_text on consent_wordings (tenant_id, sha256) where shown_on = 'desk';

-- Desk versions read desk-marketing-<channel>-vN-<lang>, desk-withdraw-<channel>-vN-<lang>, desk-photo-<placement>-vN-<lang>.
insert into consent_wordings (tenant_id, version, item, locale, text, sha256, created_at, created_by, shown_on)
select tenant_id, version,
       coalesce(case when version like 'desk-photo-%' then 'photo_marketing.' || substring(version from '^desk-photo-(.+)-v[0-9]+-(?:fr|en)$')
                     else 'marketing.' || substring(version from '^desk-(?:marketing|withdraw)-(.+)-v[0-9]+-(?:fr|en)$') end, version),
       coalesce(substring(version from '-(fr|en)$'), 'fr'), text, wording_sha256, first_shown_at, 'console desk', 'desk'
from console_desk_wordings;
drop table console_desk_wordings;
