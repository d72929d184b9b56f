using System.Text.Json;
using System.Text.Json.Serialization;
using CommsGateway.Contracts;
using CommsGateway.Hosting;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace CommsGateway.Features.Campaigns;

/// <summary>
/// Publishes campaign intents as plain JSON to the gateway's intent exchange with publisher confirms: a message
/// counts as queued only once the broker confirmed it (persistent, so it survives a broker restart). A bounded
/// confirm window keeps many publishes in flight without unbounded memory.
/// </summary>
public sealed class CampaignPublisher(IOptions<RabbitMqOptions> rabbit, IOptions<GatewayOptions> gateway)
{
    /// <summary>Publishes in flight at once; the broker confirms them in batches.</summary>
    public const int ConfirmWindow = 2048;

    /// <summary>Channels publishing at once.</summary>
    public const int Channels = 4;

    private const int ProgressEvery = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Publishes every intent; <paramref name="confirmed"/> is told the running count of confirmed messages.</summary>
    public async Task<int> PublishAsync(IReadOnlyList<MessageIntent> intents, Action<int>? confirmed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intents);
        var options = rabbit.Value;
        await using var connection = await options.ConnectAsync("commsgw-campaigns", ct);
        var exchange = gateway.Value.IntentQueue;
        var done = 0;
        // Several channels, each with its own confirm window: the broker syncs persistent messages to disk in
        // batches, and more publishes in flight across channels fill each batch (one channel tops out far lower).
        var slices = Enumerable.Range(0, Channels).Select(i => intents.Where((_, n) => n % Channels == i).ToList()).ToList();
        await Task.WhenAll(slices.Select(async slice =>
        {
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
                publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true,
                // No early throttling: the window itself bounds memory; slowing down at half of it only adds idle time.
                outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(ConfirmWindow, throttlingPercentage: 100)), ct);
            var properties = new BasicProperties { ContentType = "application/json", Persistent = true, AppId = "commsgw-campaigns" };
            // A sliding window: confirms arrive in order of publishing, so awaiting the oldest keeps the window full.
            var pending = new Queue<Task>(ConfirmWindow);
            foreach (var intent in slice)
            {
                ct.ThrowIfCancellationRequested();
                var body = JsonSerializer.SerializeToUtf8Bytes(intent, Json);
                // With confirmation tracking, each publish completes when the broker confirms it (or throws if nacked).
                pending.Enqueue(channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body, ct).AsTask());
                while (pending.Count >= ConfirmWindow || (pending.Count > 0 && pending.Peek().IsCompleted))
                {
                    await pending.Dequeue();
                    Confirmed();
                }
            }

            while (pending.Count > 0)
            {
                await pending.Dequeue();
                Confirmed();
            }
        }));

        confirmed?.Invoke(done);
        return done;

        void Confirmed()
        {
            if (Interlocked.Increment(ref done) % ProgressEvery == 0)
            {
                confirmed?.Invoke(Volatile.Read(ref done));
            }
        }
    }
}
