-- The provider's own error code of a failed dispatch (Twilio 21211, 21610 ...; SendGrid's HTTP status), next to our
-- stable reason in error_code: operators search by it and quote it to the provider's support. error_detail keeps the
-- provider's text, which can name the recipient's address, so the API and CLI show this code instead.
alter table dispatches add column provider_error_code text;
