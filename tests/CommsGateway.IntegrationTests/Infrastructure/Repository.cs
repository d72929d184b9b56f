namespace CommsGateway.IntegrationTests.Infrastructure;

/// <summary>Files of the repository the tests run from (compose file, docs, runbooks).</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CommsGateway.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No CommsGateway.sln above {AppContext.BaseDirectory}");
        }
    }

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);
}
