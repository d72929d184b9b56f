namespace CommsGateway.Hosting;

/// <summary>
/// The loop of a background poller that claims work from PostgreSQL: run a pass; when it found nothing, wait
/// <c>interval</c>; when the database (or anything <c>transient</c> names) fails, log and wait five intervals, then try
/// again. A poller that stops on the first connection error would leave its rows for good.
/// </summary>
internal static class Polling
{
    public static async Task RunAsync(Func<CancellationToken, Task<int>> pass, TimeSpan interval, TimeProvider clock,
        Func<Exception, bool> transient, Action<Exception> failed, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await pass(stoppingToken) == 0)
                {
                    await Task.Delay(interval, clock, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (transient(ex))
            {
                failed(ex);
                await Task.Delay(interval * 5, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
