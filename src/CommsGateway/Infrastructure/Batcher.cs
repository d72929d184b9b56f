using System.Threading.Channels;

namespace CommsGateway.Infrastructure;

/// <summary>How a <see cref="Batcher{TItem, TResult}"/> groups what it is handed.</summary>
/// <param name="MaxSize">Size of a batch at most (items, or what the size function counts); a single item larger goes alone.</param>
/// <param name="Linger">How long a batch with room left waits, after its first item, for more (zero: takes what is there).</param>
/// <param name="Concurrency">Batches flushed at once. A batch forms only when a slot is free, so whatever arrives while every
/// slot is busy waits and goes in the next batch: under load batches fill up, idle they leave at once (or after the linger).</param>
/// <param name="Quiet">Within the linger, a batch leaves as soon as nothing joined it for this long (zero: waits the whole linger).</param>
public sealed record BatcherOptions(int MaxSize, TimeSpan Linger = default, int Concurrency = 1, TimeSpan Quiet = default);

/// <summary>
/// Callers hand over items one at a time and await their own result; the batcher flushes them in batches. A flush that
/// throws fails every item of its batch (the callers retry). Items handed over before <see cref="DisposeAsync"/> are
/// still flushed. The one batching mechanism of the gateway (intents, decision appends, dispatch completions, bulk email).
/// </summary>
public sealed class Batcher<TItem, TResult> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> _flush;
    private readonly Func<TItem, int>? _size;
    private readonly BatcherOptions _options;
    private readonly Channel<Entry> _queue =
        Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
    private readonly SemaphoreSlim _slots;
    private readonly Task _loop;

    /// <param name="flush">Flushes a batch; returns one result per item, in order.</param>
    /// <param name="size">An item's weight against <see cref="BatcherOptions.MaxSize"/> (default 1); a group weighs its rows and is never split.</param>
    public Batcher(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> flush, BatcherOptions options, Func<TItem, int>? size = null)
    {
        ArgumentNullException.ThrowIfNull(flush);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        _flush = flush;
        _options = options;
        _size = size;
        _slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        // The loop outlives whoever created the batcher: it must not carry that caller's span (Activity.Current) along.
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(GatherLoopAsync);
        }
    }

    /// <summary>The item's result once its batch is flushed; the flush's exception if it failed.</summary>
    public Task<TResult> EnqueueAsync(TItem item)
    {
        var entry = new Entry(item);
        return _queue.Writer.TryWrite(entry)
            ? entry.Completion.Task
            : Task.FromException<TResult>(new ObjectDisposedException(GetType().Name));
    }

    private int SizeOf(Entry entry) => _size is null ? 1 : _size(entry.Item);

    private async Task GatherLoopAsync()
    {
        var reader = _queue.Reader;
        var flushes = new List<Task>();
        while (true)
        {
            await _slots.WaitAsync();
            if (!await reader.WaitToReadAsync())
            {
                break;
            }

            var batch = new List<Entry>();
            var size = TakeAvailable(reader, batch, 0);
            if (_options.Linger > TimeSpan.Zero && size < _options.MaxSize)
            {
                var deadline = Environment.TickCount64 + (long)_options.Linger.TotalMilliseconds;
                var quiet = (long)_options.Quiet.TotalMilliseconds;
                while (size < _options.MaxSize && Until(deadline, quiet) is > 0 and var left)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(left));
                    try
                    {
                        if (!await reader.WaitToReadAsync(timeout.Token))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    var before = size;
                    size = TakeAvailable(reader, batch, size);
                    if (size == before)
                    {
                        break; // the next item does not fit: this batch is full
                    }
                }
            }

            flushes.RemoveAll(t => t.IsCompleted);
            flushes.Add(Task.Run(() => FlushAsync(batch)));
        }

        await Task.WhenAll(flushes);
    }

    /// <summary>Milliseconds left to wait: until the linger's deadline, or the quiet window from now when it ends sooner.</summary>
    private static long Until(long deadline, long quiet)
    {
        var now = Environment.TickCount64;
        return quiet > 0 ? Math.Min(deadline - now, quiet) : deadline - now;
    }

    /// <summary>Takes queued items while they fit (the first always does); returns the batch's size.</summary>
    private int TakeAvailable(ChannelReader<Entry> reader, List<Entry> batch, int size)
    {
        while (reader.TryPeek(out var next))
        {
            var weight = SizeOf(next);
            if (batch.Count > 0 && size + weight > _options.MaxSize)
            {
                break;
            }

            reader.TryRead(out _);
            batch.Add(next);
            size += weight;
        }

        return size;
    }

    private async Task FlushAsync(List<Entry> batch)
    {
        try
        {
            var results = await _flush([.. batch.Select(e => e.Item)]);
            if (results.Count != batch.Count)
            {
                throw new InvalidOperationException($"A flush of {batch.Count} items returned {results.Count} results");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception ex)
        {
            batch.ForEach(e => e.Completion.TrySetException(ex));
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Flushes what was handed over, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        _slots.Dispose();
    }

    private sealed class Entry(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
