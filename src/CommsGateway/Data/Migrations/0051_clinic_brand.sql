-- How the patient pages look for each clinic (name, logo, colour, contact, privacy notice), set with
-- `commsgw tenant set --brand-*`. Empty columns fall back to the clinic's name and neutral colours.
alter table tenants
    add column brand_name         text,
    add column brand_logo_url     text,
    add column brand_color        text,
    add column brand_contact      text,
    add column privacy_notice_url text;
