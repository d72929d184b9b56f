using System.Diagnostics.Metrics;
using CommsGateway.Contracts;
using Microsoft.Extensions.Options;
using SendGrid.Helpers.Mail;

namespace CommsGateway.Providers.SendGrid;

/// <summary>
/// Campaign emails through SendGrid in bulk: one <c>mail/send</c> request carries up to 1,000 personalizations, each
/// with its own recipient, substitutions (its unsubscribe link and the part of its text that differs), its own
/// List-Unsubscribe / List-Unsubscribe-Post headers and its own custom_args (intent and decision ids).
/// <para>
/// Callers hand over emails already decided AND claimed (<c>dispatches</c> row "dispatching") and await their result:
/// emails wait here (an <see cref="Infrastructure.Batcher{TItem, TResult}"/>) at most <see cref="SendGridOptions.BulkLingerMilliseconds"/>
/// (less when no other joins for <see cref="SendGridOptions.BulkQuietMilliseconds"/>) to share a request; a gathered
/// batch is then split by sender and campaign shape. Because the caller awaits,
/// its intent is not acknowledged before the provider answered: a crash while an email waits here or is in flight
/// leaves a claimed, unsettled dispatch whose intent the broker redelivers, and <see cref="DispatchRecovery"/> settles
/// it exactly as for a single send (the provider has it: recorded sent; it never got it: sent once).
/// </para>
/// Sharing is verified per recipient (<see cref="BulkEmailShape.Plan"/>): an email the shared templates would not
/// reproduce byte for byte is sent on its own. One request's answer is every member's answer.
/// </summary>
internal sealed class SendGridBulkSender : IAsyncDisposable
{
    private const int MaxOpenShapes = 8;

    /// <summary>
    /// Gathered batches sent at once. Generous: a claimed email must reach the provider within its claim's lease
    /// (<see cref="DispatchRecovery"/>: the total timeout plus 5 s, above the longest linger), so it must not queue for a slot;
    /// how many wait here is bounded by the consumers' own limit (each waits for its emails).
    /// </summary>
    private const int ConcurrentRequests = 64;
    private readonly SendGridDispatcher _single;
    private readonly SendGridOptions _options;
    private readonly ILogger<SendGridBulkSender> _logger;
    private readonly Infrastructure.Batcher<Pending, Task<DispatchResult>> _batcher;
    private static readonly IEqualityComparer<BulkCandidate> CandidateIdentity = ReferenceEqualityComparer.Instance;
    private readonly Counter<long> _requests;
    private readonly Histogram<long> _perRequest;
    private readonly Counter<long> _singles;

    public SendGridBulkSender(SendGridDispatcher single, IOptions<SendGridOptions> options, IMeterFactory meters, ILogger<SendGridBulkSender> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _single = single;
        _options = options.Value;
        _logger = logger;
        var meter = meters.Create(Observability.GatewayMetrics.MeterName);
        _requests = meter.CreateCounter<long>("commsgw.sendgrid.bulk.requests", "{request}", "SendGrid requests carrying several campaign emails");
        _perRequest = meter.CreateHistogram<long>("commsgw.sendgrid.bulk.personalizations", "{personalization}", "Personalizations per bulk request");
        _singles = meter.CreateCounter<long>("commsgw.sendgrid.bulk.singles", "{email}",
            "Campaign emails sent on their own: alone in their window, or not reproduced by their group's templates");
        _batcher = new Infrastructure.Batcher<Pending, Task<DispatchResult>>(SendBatchAsync, new Infrastructure.BatcherOptions(
            _options.BulkMaxPersonalizations, TimeSpan.FromMilliseconds(_options.BulkLingerMilliseconds), ConcurrentRequests,
            TimeSpan.FromMilliseconds(_options.BulkQuietMilliseconds)));
    }

    /// <summary>Campaign email (a campaign id, or the campaign category), when bulk sending is on.</summary>
    public bool Accepts(OutboundMessage message) =>
        _options.BulkEnabled && message.Channel == Channel.Email
        && (message.CampaignId is not null || string.Equals(message.Category, "campaign", StringComparison.Ordinal));

    /// <summary>Sends a claimed campaign email, sharing a request when it can; the provider's answer for it.</summary>
    public Task<DispatchResult> SendAsync(OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var from = SendGridDispatcher.FromOf(message);
        if (string.IsNullOrWhiteSpace(message.To) || string.IsNullOrWhiteSpace(from) || BulkCandidate.Prepare(message) is not { } candidate)
        {
            return _single.DispatchAsync(message, ct); // refused or sent there, with its own reason
        }

        var key = new BulkKey(message.TenantId, message.CampaignId, message.Category, message.Purpose, from,
            SendGridDispatcher.FromNameOf(message), SendGridDispatcher.ReplyToOf(message));
        return SendBulkAsync(new Pending(candidate, key), ct);
    }

    private async Task<DispatchResult> SendBulkAsync(Pending pending, CancellationToken ct)
    {
        Task<DispatchResult> own;
        try
        {
            own = await _batcher.EnqueueAsync(pending);
        }
        catch (ObjectDisposedException)
        {
            return await _single.DispatchAsync(pending.Candidate.Message, ct);
        }

        return await own.WaitAsync(ct);
    }

    /// <summary>
    /// A gathered batch: grouped by sender and campaign, each group into shapes (members whose subject, text and HTML
    /// differ by a small part), each shape sent as one request or more. Each email's own answer (or exception).
    /// </summary>
    private async Task<IReadOnlyList<Task<DispatchResult>>> SendBatchAsync(IReadOnlyList<Pending> batch)
    {
        // Chars of all holes together: a third of the byte limit keeps room for the links and multi-byte text.
        var maxHole = _options.BulkMaxSubstitutionBytes / 3;
        var closed = new List<BulkEmailShape>();
        var alone = new List<Pending>();
        var byCandidate = new Dictionary<BulkCandidate, Pending>(CandidateIdentity);
        foreach (var group in batch.GroupBy(p => p.Key))
        {
            var shapes = new List<BulkEmailShape>();
            foreach (var pending in group)
            {
                try
                {
                    byCandidate[pending.Candidate] = pending;
                    var shape = shapes.FirstOrDefault(s => s.TryJoin(pending.Candidate, maxHole));
                    if (shape is null)
                    {
                        if (shapes.Count >= MaxOpenShapes)
                        {
                            // Emails that share little each open a shape: bounded, so joining stays cheap; the oldest closes.
                            closed.Add(shapes[0]);
                            shapes.RemoveAt(0);
                        }

                        shapes.Add(shape = new BulkEmailShape(pending.Candidate));
                    }

                    if (shape.Members.Count >= _options.BulkMaxPersonalizations || shape.EstimatedBytes >= _options.BulkMaxRequestBytes)
                    {
                        shapes.Remove(shape);
                        closed.Add(shape);
                    }
                }
                catch (Exception ex)
                {
                    // One email must not fail the others: it goes on its own.
                    ProviderLog.BulkJoinFailed(_logger, ex, pending.Candidate.Message.IntentId);
                    if (!shapes.Concat(closed).Any(s => s.Members.Contains(pending.Candidate)))
                    {
                        alone.Add(pending);
                    }
                }
            }

            closed.AddRange(shapes);
        }

        var sends = closed.Select(async shape =>
        {
            var members = shape.Members.Select(m => byCandidate[m]).ToList();
            try
            {
                await SendShapeAsync(shape, members);
            }
            catch (Exception ex)
            {
                ProviderLog.BulkSendThrew(_logger, ex, members.Count);
                members.ForEach(p => p.Completion.TrySetException(ex));
            }
        }).ToList();
        if (alone.Count > 0)
        {
            sends.Add(SendSinglyAsync(alone));
        }

        await Task.WhenAll(sends);
        return [.. batch.Select(p => p.Completion.Task)];
    }

    private async Task SendShapeAsync(BulkEmailShape shape, List<Pending> members)
    {
        if (members.Count == 1)
        {
            await SendSinglyAsync(members);
            return;
        }

        var plan = shape.Plan(_options.BulkMaxSubstitutionBytes);
        var byCandidate = members.ToDictionary(m => m.Candidate, CandidateIdentity);
        var sends = new List<Task>();
        if (plan.Singles.Count > 0)
        {
            ProviderLog.BulkSingles(_logger, plan.Singles.Count);
            sends.Add(SendSinglyAsync([.. plan.Singles.Select(c => byCandidate[c])]));
        }

        // Chunks within SendGrid's size limit (the shape was closed near it; estimates are rough).
        var chunk = new List<(BulkCandidate Member, Dictionary<string, string> Substitutions)>();
        long bytes = 0;
        foreach (var item in plan.Shared)
        {
            if (chunk.Count > 0 && bytes + item.Member.EstimatedBytes > _options.BulkMaxRequestBytes)
            {
                sends.Add(SendRequestAsync(plan, [.. chunk], byCandidate));
                chunk.Clear();
                bytes = 0;
            }

            chunk.Add(item);
            bytes += item.Member.EstimatedBytes + item.Substitutions.Sum(s => s.Value.Length);
        }

        if (chunk.Count > 0)
        {
            sends.Add(SendRequestAsync(plan, chunk, byCandidate));
        }

        await Task.WhenAll(sends);
    }

    private async Task SendRequestAsync(BulkPlan plan, List<(BulkCandidate Member, Dictionary<string, string> Substitutions)> chunk,
        Dictionary<BulkCandidate, Pending> byCandidate)
    {
        if (chunk.Count == 1)
        {
            await SendSinglyAsync([byCandidate[chunk[0].Member]]);
            return;
        }

        var first = chunk[0].Member.Message;
        var mail = new SendGridMessage
        {
            From = new EmailAddress(SendGridDispatcher.FromOf(first), SendGridDispatcher.FromNameOf(first)),
            Subject = plan.Subject,
            PlainTextContent = plan.Text,
            HtmlContent = plan.Html,
            Personalizations = [.. chunk.Select(item => new Personalization
            {
                Tos = [new EmailAddress(item.Member.Message.To)],
                Substitutions = item.Substitutions,
                Headers = item.Member.Message.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase),
                // Ids only: custom_args come back on every event webhook, and must carry no personal data.
                CustomArgs = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["intent_id"] = item.Member.Message.IntentId,
                    ["decision_id"] = item.Member.Message.DecisionId.ToString(),
                },
            })],
        };
        if (SendGridDispatcher.ReplyToOf(first) is { } replyTo)
        {
            mail.ReplyTo = new EmailAddress(replyTo);
        }

        mail.AddCategories(SendGridDispatcher.CategoriesOf(first));
        _requests.Add(1);
        _perRequest.Record(chunk.Count);
        var result = await _single.SendAsync(mail, $"{chunk.Count} campaign emails from {first.IntentId}", first.DecisionId, CancellationToken.None);
        foreach (var (member, _) in chunk)
        {
            byCandidate[member].Completion.TrySetResult(result);
        }
    }

    private async Task SendSinglyAsync(IReadOnlyList<Pending> members)
    {
        _singles.Add(members.Count);
        await Task.WhenAll(members.Select(async p =>
        {
            try
            {
                p.Completion.TrySetResult(await _single.DispatchAsync(p.Candidate.Message, CancellationToken.None));
            }
            catch (Exception ex)
            {
                p.Completion.TrySetException(ex);
            }
        }));
    }

    /// <summary>Sends what is waiting, then stops (the host stops consuming first, so nothing new arrives).</summary>
    public ValueTask DisposeAsync() => _batcher.DisposeAsync();

    private sealed record BulkKey(string TenantId, string? CampaignId, string? Category, Purpose Purpose, string From, string? FromName, string? ReplyTo);

    private sealed class Pending(BulkCandidate candidate, BulkKey key)
    {
        public BulkCandidate Candidate { get; } = candidate;

        public BulkKey Key { get; } = key;

        public TaskCompletionSource<DispatchResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
