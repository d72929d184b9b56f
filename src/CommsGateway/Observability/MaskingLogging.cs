using System.Collections;
using CommsGateway.Core.Privacy;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CommsGateway.Observability;

/// <summary>
/// Wraps every logger provider so that no rendered message, structured value, scope or exception text
/// reaches a sink with an email address or phone number in it (<see cref="PersonalDataMask"/>).
/// Done at the <see cref="ILoggerFactory"/> so providers added later (tests, hosting) are covered too.
/// </summary>
public static class MaskingLogging
{
    public static IServiceCollection AddPersonalDataMasking(this IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new LoggerFactory(
            sp.GetServices<ILoggerProvider>().Select(p => (ILoggerProvider)new MaskingLoggerProvider(p)),
            sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>())));
        return services;
    }
}

/// <summary>A provider decorator; filter rules keyed by provider name apply to the wrapper's category rules only.</summary>
internal sealed class MaskingLoggerProvider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
{
    public ILogger CreateLogger(string categoryName) => new MaskingLogger(inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (inner is ISupportExternalScope supports)
        {
            supports.SetScopeProvider(new MaskingScopeProvider(scopeProvider));
        }
    }

    public void Dispose() => inner.Dispose();
}

internal sealed class MaskingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
        inner.BeginScope(MaskedState.From(state));

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var message = PersonalDataMask.Mask(formatter(state, exception));
        var masked = exception is null ? null : MaskedException.From(exception);
        inner.Log(logLevel, eventId, MaskedState.From(state, message), masked, static (s, _) => s.Message ?? s.ToString());
    }
}

/// <summary>Scopes pushed by code that bypasses our loggers (ASP.NET Core's hosting scope) get masked too.</summary>
internal sealed class MaskingScopeProvider(IExternalScopeProvider inner) : IExternalScopeProvider
{
    public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
        inner.ForEachScope((scope, s) => callback(scope is null ? null : MaskedState.From(scope), s), state);

    public IDisposable Push(object? state) => inner.Push(state is null ? null : MaskedState.From(state));
}

/// <summary>Structured state with every value rendered and masked (the template too: a concatenated one holds data).</summary>
internal sealed class MaskedState(IReadOnlyList<KeyValuePair<string, object?>> values, string? message)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string? Message { get; } = message;

    public static MaskedState From(object? state, string? message = null)
    {
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            return new MaskedState(pairs.Select(p => new KeyValuePair<string, object?>(p.Key, MaskValue(p.Value))).ToArray(),
                message ?? (state is MaskedState m ? m.Message : PersonalDataMask.Mask(state.ToString() ?? "")));
        }

        var text = PersonalDataMask.Mask(state?.ToString() ?? "");
        return new MaskedState([], message ?? text);
    }

    private static object? MaskValue(object? value) => value switch
    {
        null => null,
        string s => PersonalDataMask.Mask(s),
        bool or int or long or short or byte or double or float or decimal or Guid or DateTime or DateTimeOffset or TimeSpan or Enum => value,
        IEnumerable sequence and not IDictionary => sequence.Cast<object?>().Select(v => v is null ? null : PersonalDataMask.Mask(v.ToString() ?? "")).ToArray(),
        _ => PersonalDataMask.Mask(value.ToString() ?? ""),
    };

    public KeyValuePair<string, object?> this[int index] => values[index];

    public int Count => values.Count;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message ?? "";
}

/// <summary>An exception whose message and rendering (type, message, stack, inner exceptions) are masked.</summary>
#pragma warning disable CA1032, CA1064 // never thrown or caught: it only carries masked text to a log sink
internal sealed class MaskedException(Exception original) : Exception(PersonalDataMask.Mask(original.Message))
#pragma warning restore CA1032, CA1064
{
    private readonly string _rendered = PersonalDataMask.Mask(original.ToString());

    public Type OriginalType { get; } = original.GetType();

    public static Exception From(Exception exception) => exception is MaskedException ? exception : new MaskedException(exception);

    public override string? StackTrace => null;

    public override string ToString() => _rendered;
}
