using System.Collections.Concurrent;
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
/// emails of one campaign shape wait here at most <see cref="SendGridOptions.BulkLingerMilliseconds"/> (less when no
/// other joins for <see cref="SendGridOptions.BulkQuietMilliseconds"/>) to share a request. Because the caller awaits,
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
    private readonly SendGridDispatcher _single;
    private readonly SendGridOptions _options;
    private readonly ILogger<SendGridBulkSender> _logger;
    private readonly System.Threading.Channels.Channel<Pending> _incoming =
        System.Threading.Channels.Channel.CreateUnbounded<Pending>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<BulkKey, List<BulkEmailShape>> _open = [];
    private static readonly IEqualityComparer<BulkCandidate> CandidateIdentity = ReferenceEqualityComparer.Instance;
    private readonly Dictionary<BulkCandidate, Pending> _pending = new(CandidateIdentity);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly Counter<long> _requests;
    private readonly Histogram<long> _perRequest;
    private readonly Counter<long> _singles;
    private readonly Task _loop;

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
        _loop = Task.Run(RunAsync);
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
        var pending = new Pending(candidate, key);
        return _incoming.Writer.TryWrite(pending)
            ? pending.Completion.Task.WaitAsync(ct)
            : _single.DispatchAsync(message, ct);
    }

    private async Task RunAsync()
    {
        var reader = _incoming.Reader;
        while (true)
        {
            var wait = UntilNextDue();
            bool more;
            if (wait is null)
            {
                more = await reader.WaitToReadAsync();
            }
            else if (wait > TimeSpan.Zero)
            {
                using var timeout = new CancellationTokenSource(wait.Value);
                try
                {
                    more = await reader.WaitToReadAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    more = true;
                }
            }
            else
            {
                more = true;
            }

            if (!more)
            {
                break;
            }

            while (reader.TryRead(out var pending))
            {
                try
                {
                    await AddAsync(pending);
                }
                catch (Exception ex)
                {
                    // The loop must survive anything one email brings. Not in a group (nor already sent with one): it goes
                    // on its own; the others keep waiting here.
                    ProviderLog.BulkJoinFailed(_logger, ex, pending.Candidate.Message.IntentId);
                    if (!_open.Values.SelectMany(s => s).Any(s => s.Members.Contains(pending.Candidate)) && _pending.Remove(pending.Candidate))
                    {
                        _ = SendSinglyAsync([pending]);
                    }
                }
            }

            await FlushDueAsync(everything: false);
        }

        await FlushDueAsync(everything: true);
    }

    private async Task AddAsync(Pending pending)
    {
        var now = Environment.TickCount64;
        if (!_open.TryGetValue(pending.Key, out var shapes))
        {
            _open[pending.Key] = shapes = [];
        }

        _pending[pending.Candidate] = pending;
        // Chars of all holes together: a third of the byte limit keeps room for the links and multi-byte text.
        var maxHole = _options.BulkMaxSubstitutionBytes / 3;
        var shape = shapes.FirstOrDefault(s => s.TryJoin(pending.Candidate, maxHole));
        if (shape is null)
        {
            if (shapes.Count >= MaxOpenShapes)
            {
                // Emails that share little each open a shape: bounded, so joining stays cheap; the oldest goes now.
                var oldest = shapes[0];
                shapes.RemoveAt(0);
                await StartAsync(oldest);
            }

            shape = new BulkEmailShape(pending.Candidate) { FirstAt = now };
            shapes.Add(shape);
        }

        shape.LastAt = now;
        if (shape.Members.Count >= _options.BulkMaxPersonalizations || shape.EstimatedBytes >= _options.BulkMaxRequestBytes)
        {
            shapes.Remove(shape);
            await StartAsync(shape);
        }
    }

    private TimeSpan? UntilNextDue()
    {
        long? due = null;
        foreach (var shape in _open.Values.SelectMany(s => s))
        {
            var at = Math.Min(shape.FirstAt + _options.BulkLingerMilliseconds, shape.LastAt + _options.BulkQuietMilliseconds);
            due = due is null ? at : Math.Min(due.Value, at);
        }

        return due is null ? null : TimeSpan.FromMilliseconds(Math.Max(0, due.Value - Environment.TickCount64));
    }

    private async Task FlushDueAsync(bool everything)
    {
        var now = Environment.TickCount64;
        foreach (var (key, shapes) in _open.ToList())
        {
            foreach (var shape in shapes.ToList())
            {
                if (everything || now >= shape.FirstAt + _options.BulkLingerMilliseconds || now >= shape.LastAt + _options.BulkQuietMilliseconds)
                {
                    shapes.Remove(shape);
                    await StartAsync(shape);
                }
            }

            if (shapes.Count == 0)
            {
                _open.Remove(key);
            }
        }
    }

    /// <summary>
    /// Sends a closed shape in the background, at once: how many wait here is bounded by the consumers' own limit (each
    /// waits for its emails), and a claimed email must reach the provider within its claim's lease
    /// (<see cref="DispatchRecovery"/>: the total timeout plus 5 s, above the longest linger), so it never queues for a slot.
    /// </summary>
    private Task StartAsync(BulkEmailShape shape)
    {
        var members = shape.Members.Select(m =>
        {
            _pending.Remove(m, out var pending);
            return pending!;
        }).ToList();
        var send = Task.Run(async () =>
        {
            try
            {
                await SendShapeAsync(shape, members);
            }
            catch (Exception ex)
            {
                ProviderLog.BulkSendThrew(_logger, ex, members.Count);
                members.ForEach(p => p.Completion.TrySetException(ex));
            }
        });
        _inFlight[send] = 0;
        _ = send.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return Task.CompletedTask;
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
    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        await _loop;
        await Task.WhenAll(_inFlight.Keys);
    }

    private sealed record BulkKey(string TenantId, string? CampaignId, string? Category, Purpose Purpose, string From, string? FromName, string? ReplyTo);

    private sealed class Pending(BulkCandidate candidate, BulkKey key)
    {
        public BulkCandidate Candidate { get; } = candidate;

        public BulkKey Key { get; } = key;

        public TaskCompletionSource<DispatchResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
