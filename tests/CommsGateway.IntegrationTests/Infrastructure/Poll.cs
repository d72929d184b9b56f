namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>Reads until a condition holds or the time is up, for state another component writes a moment later.</summary>
internal static class Poll
{
    /// <summary>The last value read: the one satisfying <paramref name="done"/>, or the last one when time ran out.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
