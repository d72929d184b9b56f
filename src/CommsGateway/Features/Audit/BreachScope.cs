using CommsGateway.Contracts;
using Dapper;
using Npgsql;

namespace CommsGateway.Features.Audit;

/// <summary>The window and filters of a breach (GDPR art. 33: notify within 72 hours, with the categories and numbers affected).</summary>
public sealed record BreachFilter(DateTimeOffset From, DateTimeOffset To, string? TenantId = null, Channel? Channel = null, string? Provider = null);

/// <summary>Who asks to see contact data, and why: written to admin_audit before anything is revealed.</summary>
public sealed record RevealRequest(string Actor, string Reason);

/// <summary>A decision (and its provider call, if any) inside the window.</summary>
public sealed record BreachMessage
{
    public string TenantId { get; init; } = "";
    public string? PatientId { get; init; }
    public string IntentId { get; init; } = "";
    public Guid DecisionId { get; init; }
    public string Channel { get; init; } = "";
    public string Outcome { get; init; } = "";
    public DateTime DecidedAt { get; init; }
    public string? Provider { get; init; }
    public string? DispatchStatus { get; init; }
    public string? ProviderMessageId { get; init; }

    /// <summary>True when the message was handed (or attempted) to a provider.</summary>
    public bool ReachedProvider => DispatchStatus is not null;
}

/// <summary>An affected patient; contact points only after an audited reveal.</summary>
public sealed record BreachPatient
{
    public string TenantId { get; init; } = "";
    public string? PatientId { get; init; }
    public int Messages { get; init; }
    public string[] Channels { get; init; } = [];
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? WhatsApp { get; init; }
}

public sealed record BreachReport(BreachFilter Filter, IReadOnlyList<BreachPatient> Patients, IReadOnlyList<BreachMessage> Messages, bool Revealed);

public sealed class BreachScope(NpgsqlDataSource dataSource)
{
    public async Task<BreachReport> ScopeAsync(BreachFilter filter, RevealRequest? reveal, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.To <= filter.From)
        {
            throw new ArgumentException("--to must be after --from", nameof(filter));
        }

        if (reveal is not null && (string.IsNullOrWhiteSpace(reveal.Reason) || string.IsNullOrWhiteSpace(reveal.Actor)))
        {
            throw new ArgumentException("A reveal needs who and why (--actor, --reason)", nameof(reveal));
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // A decision is in scope when it was decided in the window or its provider call ran in it.
        var messages = (await connection.QueryAsync<BreachMessage>(new CommandDefinition("""
            select d.tenant_id, d.patient_id, d.intent_id, d.decision_id, d.channel, d.outcome, d.decided_at,
                   p.provider, p.status as dispatch_status, p.provider_message_id
            from decisions d
            left join dispatches p on p.decision_id = d.decision_id
            where ((d.decided_at >= @From and d.decided_at < @To)
                   or (p.created_at >= @From and p.created_at < @To)
                   or (p.updated_at >= @From and p.updated_at < @To))
              and (@TenantId::text is null or d.tenant_id = @TenantId)
              and (@Channel::text is null or d.channel = @Channel)
              and (@Provider::text is null or p.provider = @Provider)
            order by d.tenant_id, d.patient_id, d.seq
            """, new
            {
                From = filter.From.UtcDateTime,
                To = filter.To.UtcDateTime,
                filter.TenantId,
                Channel = filter.Channel is { } c ? WireNames.Of(c) : null,
                filter.Provider,
            }, tx, cancellationToken: ct))).ToList();

        var contacts = new Dictionary<(string, string), (string? Email, string? Phone, string? WhatsApp)>();
        if (reveal is not null)
        {
            foreach (var tenant in messages.Select(m => m.TenantId).Distinct(StringComparer.Ordinal))
            {
                await AdminAudit.WriteAsync(connection, tx, tenant, reveal.Actor, "breach.reveal", null, new
                {
                    from = filter.From, to = filter.To, channel = filter.Channel?.ToString(), provider = filter.Provider, reason = reveal.Reason,
                    patients = messages.Where(m => m.TenantId == tenant).Select(m => m.PatientId).Distinct().Count(),
                }, ct);
            }

            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select to_regclass('contacts') is not null", transaction: tx, cancellationToken: ct)))
            {
                var keys = messages.Where(m => m.PatientId is not null).Select(m => m.TenantId + "\u001f" + m.PatientId).Distinct().ToArray();
                var rows = await connection.QueryAsync<(string TenantId, string PatientId, string? Email, string? PhoneE164, string? WhatsappE164)>(new CommandDefinition("""
                    select tenant_id, patient_id, email, phone_e164, whatsapp_e164 from contacts
                    where tenant_id || chr(31) || patient_id = any (@keys)
                    """, new { keys }, tx, cancellationToken: ct));
                foreach (var r in rows)
                {
                    contacts[(r.TenantId, r.PatientId)] = (r.Email, r.PhoneE164, r.WhatsappE164);
                }
            }
        }

        await tx.CommitAsync(ct); // the audit row is committed before the data is shown
        var patients = messages.GroupBy(m => (m.TenantId, m.PatientId)).Select(g =>
        {
            var contact = g.Key.PatientId is not null && contacts.TryGetValue((g.Key.TenantId, g.Key.PatientId), out var found) ? found : default;
            return new BreachPatient
            {
                TenantId = g.Key.TenantId, PatientId = g.Key.PatientId, Messages = g.Count(),
                Channels = [.. g.Select(m => m.Channel).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                Email = contact.Email, Phone = contact.Phone, WhatsApp = contact.WhatsApp,
            };
        }).ToList();
        return new BreachReport(filter, patients, messages, reveal is not null);
    }
}
