using CommsGateway.Contracts;
using MassTransit;

namespace CommsGateway.Observability;

/// <summary>Queue lag = consume time minus the SentTime the publisher stamped (MassTransit envelope or AMQP timestamp).</summary>
internal sealed class QueueLagObserver(GatewayMetrics metrics, TimeProvider clock) : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is MessageIntent && context.SentTime is { } sent)
        {
            metrics.QueueLag(clock.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(sent, DateTimeKind.Utc));
        }

        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
