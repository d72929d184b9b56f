using System.Net;
using CommsGateway.Contracts;
using CommsGateway.Providers.SendGrid;
using CommsGateway.Providers.Twilio;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace CommsGateway.Providers;

public static class ProvidersFeature
{
    public static IHostApplicationBuilder AddProviders(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SendGridOptions>().BindConfiguration(SendGridOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSenderOptions();
        services.AddOptions<FakeProvidersOptions>().BindConfiguration(FakeProvidersOptions.Section);
        services.AddOptions<DispatchOptions>().BindConfiguration(DispatchOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ReconcilerOptions>().BindConfiguration(ReconcilerOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // One pipeline per provider: a struggling Twilio never opens SendGrid's breaker. Without the factory's per-request
        // logging handlers (a log scope and four lines per send, below the configured level anyway): the dispatchers log
        // what matters, and the provider metrics time every call.
        services.AddHttpClient(SendGridDispatcher.Name)
            .RemoveAllLoggers()
            .AddResilienceHandler(SendGridDispatcher.Name, (pipeline, context) =>
                Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<SendGridOptions>>().Value));
        // The Twilio SDK's calls (SystemNetHttpClient over this client): sent to Twilio:BaseUrl, through the pipeline.
        services.AddTransient<TwilioBaseUrlHandler>();
        services.AddHttpClient(TwilioDispatcher.Name)
            .RemoveAllLoggers()
            .AddHttpMessageHandler<TwilioBaseUrlHandler>()
            .AddResilienceHandler(TwilioDispatcher.Name, (pipeline, context) =>
                Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<TwilioOptions>>().Value));

        services.AddSingleton<SendGridDispatcher>();
        services.AddSingleton<SendGridBulkSender>();
        services.AddSingleton<TwilioDispatcher>();
        services.AddSingleton<IProviderOptOutSink, ProviderOptOutLog>();
        services.AddSingleton<GatewayInstance>();
        services.AddHostedService<ClaimantLock>();
        services.AddSingleton<DispatchLog>();
        services.AddSingleton<DispatchRecovery>();
        services.AddSingleton<IMessageDispatcher, ChannelDispatcher>();
        services.AddHttpClient(FakeProviderProbe.Name);
        services.AddSingleton<IDispatchProbe, FakeProviderProbe>();
        services.AddHostedService<DispatchReconciler>();
        return builder;
    }

    /// <summary>
    /// The senders' configuration: the gateway's providers and the campaign preview (in the CLI too, which has no
    /// providers) both need it. Bound once, whoever asks first.
    /// </summary>
    public static IServiceCollection AddSenderOptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(IConfigureOptions<SenderOptions>)))
        {
            return services;
        }

        services.AddOptions<SenderOptions>().BindConfiguration(SenderOptions.Section);
        return services;
    }

    /// <summary>
    /// Outer to inner: total timeout, wait for an open circuit, retry (exponential + jitter, Retry-After honoured on
    /// 429/503), circuit breaker, per-attempt timeout. Only transient outcomes are retried: 408, 429, 5xx, network
    /// errors, attempt timeouts. A 4xx answer is the provider's final word and returns at once. A call the open circuit
    /// refuses never reached the provider: it waits for the break to end and starts its retries afresh (within the
    /// total timeout), so a burst of failures (many resumed sends after a crash, a provider's blip) does not turn every
    /// send behind it into a failure without one attempt.
    /// </summary>
    private static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ProviderHttpOptions options)
    {
        pipeline
            .AddTimeout(TimeSpan.FromSeconds(options.TotalTimeoutSeconds))
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "CircuitWait",
                MaxRetryAttempts = int.MaxValue, // bounded by the total timeout
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is BrokenCircuitException),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(CircuitWait(args.Outcome.Exception as BrokenCircuitException)),
            })
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.BaseDelayMilliseconds),
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is not BrokenCircuitException && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
            })
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(options.BreakDurationSeconds),
                // A 429 is the provider pacing us, not failing: it must not open the breaker.
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
            })
            .AddTimeout(TimeSpan.FromSeconds(options.AttemptTimeoutSeconds));
    }

    /// <summary>
    /// Until the open circuit lets a probe through (its own estimate), plus jitter so the waiting calls do not all ask
    /// at once; a call refused while the circuit is half open (one probe at a time) asks again shortly.
    /// </summary>
    private static TimeSpan CircuitWait(BrokenCircuitException? refused) =>
        (refused?.RetryAfter is { } after && after > TimeSpan.Zero ? after : TimeSpan.FromMilliseconds(100))
        + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250));
}

/// <summary>Routes a message to the provider of its channel; campaign emails to SendGrid's bulk sender.</summary>
internal sealed class ChannelDispatcher(
    SendGridDispatcher sendGrid,
    SendGridBulkSender bulk,
    TwilioDispatcher twilio,
    IOptions<DispatchOptions> options,
    ILogger<ChannelDispatcher> logger) : IMessageDispatcher, IDisposable
{
    // One bound for the process: every batch's sends, first sends and resumed ones alike, share it.
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrency, options.Value.MaxConcurrency);

    public async Task<DispatchResult> DispatchAsync(OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (bulk.Accepts(message))
        {
            return await bulk.SendAsync(message, ct); // shares a request: takes no slot
        }

        await _slots.WaitAsync(ct);
        try
        {
            return await SendAsync(message, ct);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>A message that is not a campaign email (those went to the bulk sender), to its channel's provider.</summary>
    private Task<DispatchResult> SendAsync(OutboundMessage message, CancellationToken ct) =>
        message.Channel switch
        {
            Channel.Email => sendGrid.DispatchAsync(message, ct),
            Channel.Sms or Channel.WhatsApp => twilio.DispatchAsync(message, ct),
            _ => Task.FromResult(DispatchResult.Failed("none", ReasonCodes.UnknownChannel, $"no provider for {message.Channel}", permanent: true)),
        };

    public async Task<IReadOnlyList<DispatchResult>> DispatchManyAsync(IReadOnlyList<OutboundMessage> messages, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new DispatchResult[messages.Count];
        var sends = new Task[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            // Campaign emails are all handed to the bulk sender at once (they share requests); the others wait for a slot.
            sends[i] = SettleAsync(i, messages[i]);
        }

        await Task.WhenAll(sends);
        return results;

        async Task SettleAsync(int index, OutboundMessage message)
        {
            try
            {
                results[index] = await DispatchAsync(message, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // The others' answers must still be recorded: this one fails alone, retryable, and is logged loudly.
                ProviderLog.DispatchThrew(logger, ex, message.IntentId);
                results[index] = DispatchResult.Failed(ProviderFor(message.Channel), ReasonCodes.ProviderUnavailable,
                    ex.GetType().Name, permanent: false);
            }
        }
    }

    public static string ProviderFor(Channel channel) => channel == Channel.Email ? SendGridDispatcher.Name : TwilioDispatcher.Name;

    public void Dispose() => _slots.Dispose();
}
