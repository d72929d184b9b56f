using CommsGateway.Infrastructure;

namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The gateway's one batching mechanism: batches form when a slot is free (so what waits fills the next batch), a
/// group is never split, a failed flush fails only its own batch, and what was handed over is flushed on dispose.
/// </summary>
public sealed class BatcherTests
{
    private static Func<IReadOnlyList<int>, Task<IReadOnlyList<int>>> Recording(List<int[]> flushed, Task? gate = null) => async items =>
    {
        lock (flushed)
        {
            flushed.Add([.. items]);
        }

        if (gate is not null)
        {
            await gate;
        }

        return [.. items.Select(i => i * 10)];
    };

    [Fact]
    public async Task Should_fill_the_next_batches_with_what_arrived_while_every_slot_was_busy()
    {
        var flushed = new List<int[]>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var batcher = new Batcher<int, int>(Recording(flushed, gate.Task), new BatcherOptions(MaxSize: 100, Concurrency: 1));

        var first = batcher.EnqueueAsync(0);
        await Poll.UntilAsync(() => Task.FromResult(flushed.Count), c => c == 1); // the only slot is now busy
        var waiting = Enumerable.Range(1, 250).Select(batcher.EnqueueAsync).ToList();
        gate.SetResult();

        Assert.Equal(0, await first);
        var results = await Task.WhenAll(waiting);
        Assert.Equal(Enumerable.Range(1, 250).Select(i => i * 10), results);
        Assert.Equal([1, 100, 100, 50], flushed.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 251), flushed.SelectMany(b => b)); // in order
    }

    [Fact]
    public async Task Should_never_split_a_group_and_close_a_batch_when_the_next_group_does_not_fit()
    {
        var flushed = new List<int[]>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // An item weighs its own value: 60 + 30 fit in 100, the next 60 does not.
        await using var batcher = new Batcher<int, int>(Recording(flushed, gate.Task), new BatcherOptions(MaxSize: 100), size: i => i);

        var busy = batcher.EnqueueAsync(1);
        await Poll.UntilAsync(() => Task.FromResult(flushed.Count), c => c == 1);
        var rest = new[] { 60, 30, 60, 150 }.Select(batcher.EnqueueAsync).ToList();
        gate.SetResult();
        await busy;
        await Task.WhenAll(rest);

        Assert.Equal([[1], [60, 30], [60], [150]], flushed); // a group larger than the limit goes alone
    }

    [Fact]
    public async Task Should_fail_every_item_of_a_failed_flush_and_only_those()
    {
        var calls = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var batcher = new Batcher<int, int>(async items =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await gate.Task;
                throw new InvalidOperationException("database down");
            }

            return [.. items];
        }, new BatcherOptions(MaxSize: 2));

        var failing = batcher.EnqueueAsync(1);
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref calls)), c => c == 1);
        var next = new[] { batcher.EnqueueAsync(2), batcher.EnqueueAsync(3) };
        gate.SetResult();

        Assert.Equal("database down", (await Assert.ThrowsAsync<InvalidOperationException>(() => failing)).Message);
        var results = await Task.WhenAll(next);
        Assert.Equal([2, 3], results);
    }

    [Fact]
    public async Task Should_gather_within_the_linger_until_the_batch_is_full()
    {
        var flushed = new List<int[]>();
        await using var batcher = new Batcher<int, int>(Recording(flushed), new BatcherOptions(MaxSize: 3, Linger: TimeSpan.FromMinutes(1)));

        var first = batcher.EnqueueAsync(1);
        var others = new[] { batcher.EnqueueAsync(2), batcher.EnqueueAsync(3) };

        // Full at three: it leaves at once, not after the minute.
        var results = await Task.WhenAll(others.Prepend(first));
        Assert.Equal([10, 20, 30], results);
        Assert.Equal([[1, 2, 3]], flushed);
    }

    [Fact]
    public async Task Should_send_a_batch_with_room_left_once_nothing_joined_it_for_the_quiet_window()
    {
        var flushed = new List<int[]>();
        await using var batcher = new Batcher<int, int>(Recording(flushed),
            new BatcherOptions(MaxSize: 100, Linger: TimeSpan.FromMinutes(10), Quiet: TimeSpan.FromMilliseconds(20)));

        // Room for 97 more and ten minutes of linger left: only the quiet window sends it before the guard gives up.
        var results = await Task.WhenAll(batcher.EnqueueAsync(1), batcher.EnqueueAsync(2), batcher.EnqueueAsync(3))
            .WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal([10, 20, 30], results);
        Assert.Equal([[1, 2, 3]], flushed);
    }

    [Fact]
    public async Task Should_flush_what_was_handed_over_when_disposed_and_refuse_what_comes_after()
    {
        var flushed = new List<int[]>();
        var batcher = new Batcher<int, int>(Recording(flushed), new BatcherOptions(MaxSize: 10, Linger: TimeSpan.FromMinutes(1)));
        var pending = batcher.EnqueueAsync(7);

        await batcher.DisposeAsync();

        Assert.Equal(70, await pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.EnqueueAsync(8));
    }
}
