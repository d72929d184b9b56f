using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace CommsGateway.Observability;

/// <summary>Opt-in profile of a gateway process (the bench sets it): where the time went, written at shutdown.</summary>
public sealed class ProfileOptions
{
    public const string Section = "Observability";

    /// <summary>
    /// When set, the gateway aggregates the intent pipeline's spans (ActivitySource <see cref="ProfileRecorder.IntentsSource"/>)
    /// and its own meters' measurements for its whole life, and writes them to this JSON file when it stops.
    /// Off by default: listening turns the spans on, which costs a little per intent.
    /// </summary>
    public string? ProfileFile { get; set; }
}

/// <summary>
/// Listens to the pipeline's spans (<see cref="ActivityListener"/>: count, total, p50/p99 duration per span name) and
/// to the gateway's instruments (<see cref="MeterListener"/> on the meters named CommsGateway*: counters summed,
/// histograms with count, sum, p50/p99, gauges' last value), per instrument and tag set. Memory stays fixed whatever the
/// number of intents: durations and values go into log-scale buckets (2 % wide), never a list.
/// </summary>
public sealed class ProfileRecorder : IHostedService, IDisposable
{
    public const string IntentsSource = "CommsGateway.Intents";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly string _file;
    private readonly TimeProvider _clock;
    private readonly ILogger<ProfileRecorder> _logger;
    private readonly ConcurrentDictionary<string, LogHistogram> _spans = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(Instrument Instrument, string Tags), Aggregate> _instruments = new();
    private readonly DateTimeOffset _started;
    private readonly Lock _writeGate = new();
    private ActivityListener? _activities;
    private MeterListener? _meters;

    public ProfileRecorder(IOptions<ProfileOptions> options, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<ProfileRecorder> logger)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _file = options.Value.ProfileFile ?? throw new ArgumentException("Observability:ProfileFile is not set", nameof(options));
        _clock = clock;
        _logger = logger;
        _started = clock.GetUtcNow();
        // Listening from construction: the pipeline's first intents may be consumed before hosted services start.
        Listen();
        // Written as soon as shutdown begins too: a process stopped by a signal may be cut short before StopAsync runs.
        lifetime.ApplicationStopping.Register(() => Write(CancellationToken.None));
    }

    private void Listen()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == IntentsSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => _spans.GetOrAdd(activity.OperationName, _ => new LogHistogram()).Record(activity.Duration.TotalMilliseconds),
        };
        ActivitySource.AddActivityListener(_activities);

        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name.StartsWith(GatewayMetrics.MeterName, StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Measured(instrument, value, tags));
        _meters.Start();
    }

    private void Measured(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var text = new StringBuilder();
        foreach (var tag in tags)
        {
            text.Append(text.Length == 0 ? "" : ",").Append(tag.Key).Append('=').Append(Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
        }

        _instruments.GetOrAdd((instrument, text.ToString()), _ => new Aggregate()).Record(value);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops after the consumers (registered first, so stopped last): the final profile covers every intent.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Write(cancellationToken);
        return Task.CompletedTask;
    }

    private void Write(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _meters?.RecordObservableInstruments();
        var now = _clock.GetUtcNow();
        var profile = new
        {
            StartedAt = _started,
            WrittenAt = now,
            Seconds = Math.Round((now - _started).TotalSeconds, 3),
            Source = IntentsSource,
            Spans = _spans.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new
            {
                Name = s.Key,
                s.Value.Count,
                TotalMs = Math.Round(s.Value.Sum, 3),
                MeanMs = s.Value.Count == 0 ? 0 : Math.Round(s.Value.Sum / s.Value.Count, 4),
                P50Ms = Math.Round(s.Value.Percentile(50), 4),
                P99Ms = Math.Round(s.Value.Percentile(99), 4),
            }).ToList(),
            Instruments = _instruments.OrderBy(i => i.Key.Instrument.Name, StringComparer.Ordinal).ThenBy(i => i.Key.Tags, StringComparer.Ordinal)
                .Select(i => new
                {
                    Meter = i.Key.Instrument.Meter.Name,
                    i.Key.Instrument.Name,
                    i.Key.Instrument.Unit,
                    Kind = Kind(i.Key.Instrument),
                    i.Key.Tags,
                    i.Value.Values.Count,
                    Sum = Math.Round(i.Value.Values.Sum, 6),
                    P50 = i.Key.Instrument is Histogram<double> or Histogram<long> ? Math.Round(i.Value.Values.Percentile(50), 6) : (double?)null,
                    P99 = i.Key.Instrument is Histogram<double> or Histogram<long> ? Math.Round(i.Value.Values.Percentile(99), 6) : (double?)null,
                    Last = Math.Round(i.Value.Last, 6),
                }).ToList(),
        };
        var temporary = _file + ".tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_file))!);
        lock (_writeGate)
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(profile, Json));
            File.Move(temporary, _file, overwrite: true);
        }

        _logger.LogInformation("Profile written to {File}: {Spans} span names, {Instruments} instrument series", _file, _spans.Count, _instruments.Count);
    }

    private static string Kind(Instrument instrument)
    {
        var name = instrument.GetType().Name;
        return name[..(name.IndexOf('`', StringComparison.Ordinal) is var tick and >= 0 ? tick : name.Length)];
    }

    public void Dispose()
    {
        _activities?.Dispose();
        _meters?.Dispose();
    }

    private sealed class Aggregate
    {
        private double _last;

        public LogHistogram Values { get; } = new();

        public double Last => Volatile.Read(ref _last);

        public void Record(double value)
        {
            Values.Record(value);
            Volatile.Write(ref _last, value);
        }
    }
}

/// <summary>Counts in log-scale buckets 2 % wide from 1e-9 to 1e9 (values at or below the bottom share bucket 0).</summary>
internal sealed class LogHistogram
{
    private const double Bottom = 1e-9;
    private static readonly double LogWidth = Math.Log(1.02);
    private static readonly int Buckets = (int)Math.Ceiling(Math.Log(1e9 / Bottom) / LogWidth) + 2;
    private readonly long[] _counts = new long[Buckets];
    private long _count;
    private double _sum;
    private readonly Lock _sumGate = new();

    public long Count => Interlocked.Read(ref _count);

    public double Sum
    {
        get
        {
            lock (_sumGate)
            {
                return _sum;
            }
        }
    }

    public void Record(double value)
    {
        var index = value <= Bottom ? 0 : Math.Min(Buckets - 1, 1 + (int)(Math.Log(value / Bottom) / LogWidth));
        Interlocked.Increment(ref _counts[index]);
        Interlocked.Increment(ref _count);
        lock (_sumGate)
        {
            _sum += value;
        }
    }

    /// <summary>The value below which <paramref name="percent"/> % of the recorded values fall (the bucket's middle, within 1 %).</summary>
    public double Percentile(double percent)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(total * percent / 100.0);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= Math.Max(1, rank))
            {
                return i == 0 ? 0 : Bottom * Math.Exp((i - 0.5) * LogWidth);
            }
        }

        return double.NaN;
    }
}
