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

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Publishes every intent; <paramref name="confirmed"/> is told the running count of confirmed messages.</summary>
    public async Task<int> PublishAsync(IReadOnlyList<MessageIntent> intents, Action<int>? confirmed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intents);
        var options = rabbit.Value;
        var factory = new ConnectionFactory
        {
            HostName = options.Host, Port = options.Port, VirtualHost = options.VirtualHost,
            UserName = options.Username, Password = options.Password, ClientProvidedName = "commsgw-campaigns",
        };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true,
            outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(ConfirmWindow)), ct);
        var exchange = gateway.Value.IntentQueue;
        var properties = new BasicProperties { ContentType = "application/json", Persistent = true, AppId = "commsgw-campaigns" };

        var done = 0;
        var pending = new List<Task>(ConfirmWindow);
        foreach (var intent in intents)
        {
            ct.ThrowIfCancellationRequested();
            var body = JsonSerializer.SerializeToUtf8Bytes(intent, Json);
            // With confirmation tracking, each publish completes when the broker confirms it (or throws if nacked).
            pending.Add(channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body, ct).AsTask());
            if (pending.Count == ConfirmWindow)
            {
                await Task.WhenAll(pending);
                done += pending.Count;
                pending.Clear();
                confirmed?.Invoke(done);
            }
        }

        await Task.WhenAll(pending);
        done += pending.Count;
        confirmed?.Invoke(done);
        return done;
    }
}
