using System.Diagnostics;
using System.Globalization;

namespace CommsGateway.Features.Intents;

/// <summary>
/// Wall time spent per pipeline stage, summed over all intents (Stopwatch ticks, lock-free): what the bench prints
/// to show where an intent's time goes. Two Interlocked adds per stage; cheap enough to leave on.
/// </summary>
internal static class PipelineProfile
{
    internal enum Stage
    {
        Classify,
        Context,
        Render,
        Record,
        Claim,
        Provider,
        Complete,
        Publish,
        Consume,
    }

    private static readonly long[] Ticks = new long[Enum.GetValues<Stage>().Length];
    private static readonly long[] Counts = new long[Ticks.Length];

    public static long Start() => Stopwatch.GetTimestamp();

    /// <summary>Adds the time since <paramref name="started"/> to the stage; returns now, the next stage's start.</summary>
    public static long Lap(Stage stage, long started)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref Ticks[(int)stage], now - started);
        Interlocked.Increment(ref Counts[(int)stage]);
        return now;
    }

    public static void Reset()
    {
        Array.Clear(Ticks);
        Array.Clear(Counts);
    }

    /// <summary>Mean milliseconds per intent that went through each stage, and how many did.</summary>
    public static string Summary() => string.Join(", ", Enum.GetValues<Stage>().Select(stage =>
    {
        var count = Interlocked.Read(ref Counts[(int)stage]);
        var ms = count == 0 ? 0 : Interlocked.Read(ref Ticks[(int)stage]) * 1000.0 / Stopwatch.Frequency / count;
        return string.Create(CultureInfo.InvariantCulture, $"{stage} {ms:F2} ms (x{count})");
    }));
}
