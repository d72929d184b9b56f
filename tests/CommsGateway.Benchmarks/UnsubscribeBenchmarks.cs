using BenchmarkDotNet.Attributes;
using CommsGateway.Contracts;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Benchmarks;

/// <summary>
/// What every marketing message and every click costs: signing an unsubscribe token, verifying one (as
/// GET/POST /u/{token} does), and rendering the footers and headers per channel.
/// </summary>
[MemoryDiagnoser]
public class UnsubscribeBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private readonly UnsubscribeTokens tokens = new(new UnsubscribeKeyRing(
        [new UnsubscribeKey("k2026", new byte[32]), new UnsubscribeKey("k2025", Enumerable.Repeat((byte)7, 32).ToArray())], "k2026"));
    private readonly byte[] subscriberKey = Enumerable.Repeat((byte)3, 32).ToArray();
    private string token = "";
    private RenderRequest email = null!;
    private RenderRequest sms = null!;

    [GlobalSetup]
    public void Setup()
    {
        token = Sign();
        var link = new Uri("https://gw.clinique-des-lilas.fr/u/" + token);
        email = new RenderRequest(Channel.Email, Purpose.Marketing, UnsubscribeLocale.Fr, "Offre de printemps",
            "Bonjour Camille,\n\n-20 % sur tous les peelings ce mois-ci : réservez vite !\n\nL'équipe", "<html><body><p>-20 % sur tous les peelings</p></body></html>")
        {
            UnsubscribeUrl = link,
            ClinicName = "Clinique des Lilas",
        };
        sms = new RenderRequest(Channel.Sms, Purpose.Marketing, UnsubscribeLocale.Fr, null,
            "Clinique des Lilas : -20 % sur les peelings en mai, réservez au 01 23 45 67 89.", null) { UnsubscribeUrl = link };
    }

    [Benchmark]
    public string Sign() => tokens.Issue("clinic-lyon", SubscriberReference.Compute(subscriberKey, "clinic-lyon", "p-1042"),
        Channel.Email, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, "printemps-2026", Now);

    [Benchmark]
    public bool Verify() => tokens.Verify(token, Now).Claims is not null;

    [Benchmark]
    public RenderedMessage RenderEmail() => MessageRenderer.Render(email);

    [Benchmark]
    public RenderedMessage RenderSms() => MessageRenderer.Render(sms);
}
