-- consent_current for one patient, as a set-returning SQL function PostgreSQL inlines into a lateral join: the
-- decision context reads a batch's exact (tenant, patient) pairs through it, one index range each. The view cannot
-- serve that: a join or lateral reference to a DISTINCT ON view makes PostgreSQL compute the whole view, and filtering
-- it on tenants and patients separately probes every tenant x patient combination of the batch. Same rule as the
-- view (latest event per purpose, channel and placement; ties broken by event id); a test holds the two together.
create function consent_current_of(p_tenant_id text, p_patient_id text)
returns table (event_id bigint, purpose text, channel text, placement text, action text, occurred_at timestamptz)
language sql stable parallel safe as $$
    select distinct on (e.purpose, coalesce(e.channel, ''), coalesce(e.placement, ''))
           e.event_id, e.purpose, e.channel, e.placement, e.action, e.occurred_at
    from consent_events e
    where e.tenant_id = p_tenant_id and e.patient_id = p_patient_id
    order by e.purpose, coalesce(e.channel, ''), coalesce(e.placement, ''), e.occurred_at desc, e.event_id desc
$$;
