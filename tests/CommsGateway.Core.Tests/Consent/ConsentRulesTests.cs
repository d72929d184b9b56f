using CommsGateway.Contracts;
using CommsGateway.Core.Consent;

namespace CommsGateway.Core.Tests.Consent;

public sealed class ConsentRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
    private const string WordingHash = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

    private static ConsentEvidence Evidence => new()
    {
        Source = "web_form", WordingVersion = "mkt-v3", WordingSha256 = WordingHash, CapturedBy = "booking-portal",
        FormUrl = "https://clinic.example/consent", Ip = "203.0.113.7", UserAgent = "Mozilla/5.0",
    };

    private static ConsentCommand Grant(string[] purposes, string[] channels, string? placement = null, ConsentEvidence? evidence = null) => new()
    {
        TenantId = "t1", PatientId = "p1", Action = ConsentAction.Grant, Purposes = purposes, Channels = channels,
        Placement = placement, Evidence = evidence ?? Evidence,
    };

    public static TheoryData<string, ConsentCommand, string?> Cases => new()
    {
        { "one purpose, one channel, full evidence", Grant(["marketing"], ["email"]), null },
        { "service refusal is recorded the same way", Grant(["service"], ["whatsapp"]), null },
        { "two channels in one grant", Grant(["marketing"], ["email", "sms"]), ConsentErrorCodes.Bundled },
        { "two purposes in one grant", Grant(["marketing", "photo_marketing"], ["email"], "flyer"), ConsentErrorCodes.Bundled },
        { "pre-ticked box", Grant(["marketing"], ["sms"], evidence: Evidence with { PreTicked = true }), ConsentErrorCodes.PreTicked },
        { "no source", Grant(["marketing"], ["sms"], evidence: Evidence with { Source = null }), ConsentErrorCodes.EvidenceMissing },
        { "no wording version", Grant(["marketing"], ["sms"], evidence: Evidence with { WordingVersion = " " }), ConsentErrorCodes.EvidenceMissing },
        { "wording hash not SHA-256", Grant(["marketing"], ["sms"], evidence: Evidence with { WordingSha256 = "abc" }), ConsentErrorCodes.EvidenceMissing },
        { "no captured-by", Grant(["marketing"], ["sms"], evidence: Evidence with { CapturedBy = null }), ConsentErrorCodes.EvidenceMissing },
        { "photo without placement", Grant(["photo_marketing"], ["email"]), ConsentErrorCodes.PlacementRequired },
        { "photo with placement", Grant(["photo_marketing"], [], "social_media"), null },
        { "placement on marketing", Grant(["marketing"], ["email"], "flyer"), ConsentErrorCodes.InvalidField },
        { "unknown channel", Grant(["marketing"], ["fax"]), ConsentErrorCodes.InvalidField },
        { "unknown purpose", Grant(["newsletter"], ["email"]), ConsentErrorCodes.InvalidField },
        { "no channel", Grant(["marketing"], []), ConsentErrorCodes.InvalidField },
        { "in the future", Grant(["marketing"], ["email"]) with { OccurredAt = Now.AddHours(1) }, ConsentErrorCodes.OccursInFuture },
        { "5 MB evidence.extra", Grant(["marketing"], ["email"], evidence: Evidence with { Extra = new Dictionary<string, string> { ["note"] = new('x', 5 * 1024 * 1024) } }), ConsentErrorCodes.EvidenceTooLarge },
        { "200,000 evidence keys", Grant(["marketing"], ["email"], evidence: Evidence with { Extra = Enumerable.Range(0, 200_000).ToDictionary(i => "k" + i, _ => "v") }), ConsentErrorCodes.EvidenceTooLarge },
        { "65 evidence keys", Grant(["marketing"], ["email"], evidence: Evidence with { Extra = Enumerable.Range(0, 65).ToDictionary(i => "k" + i, _ => "v") }), ConsentErrorCodes.EvidenceTooLarge },
        { "64 evidence keys", Grant(["marketing"], ["email"], evidence: Evidence with { Extra = Enumerable.Range(0, 64).ToDictionary(i => "k" + i, _ => "v") }), null },
        { "evidence of 8 KB plus one byte", Grant(["marketing"], ["email"], evidence: Evidence with { UserAgent = new string('u', 8 * 1024) }), ConsentErrorCodes.EvidenceTooLarge },
        { "bidi override in an evidence key", Grant(["marketing"], ["email"], evidence: Evidence with { Extra = new Dictionary<string, string> { ["form\u202Eid"] = "1" } }), ConsentErrorCodes.EvidenceTooLarge },
        { "right-to-left override in patient id", Grant(["marketing"], ["email"]) with { PatientId = "p1\u202E" }, ConsentErrorCodes.InvalidField },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_accept_only_unbundled_affirmative_evidenced_grants(string scenario, ConsentCommand command, string? expectedError)
    {
        var (events, errors) = ConsentRules.Validate(command, Now);

        if (expectedError is null)
        {
            Assert.True(errors.Count == 0, $"{scenario}: {string.Join("; ", errors.Select(e => e.Message))}");
            Assert.Single(events);
        }
        else
        {
            Assert.Empty(events);
            Assert.Contains(errors, e => e.Code == expectedError);
        }
    }

    [Fact]
    public void Should_accept_a_withdrawal_without_wording_evidence_and_split_it_per_channel()
    {
        var command = new ConsentCommand
        {
            TenantId = "t1", PatientId = "p1", Action = ConsentAction.Withdraw, Purposes = ["marketing"],
            Channels = ["email", "sms"], Evidence = new ConsentEvidence { Source = "staff_entry" },
        };

        var (events, errors) = ConsentRules.Validate(command, Now);

        Assert.Empty(errors);
        Assert.Equal([Channel.Email, Channel.Sms], events.Select(e => e.Channel!.Value));
        Assert.All(events, e => Assert.Equal(ConsentAction.Withdraw, e.Action));
        Assert.All(events, e => Assert.Equal(Now, e.OccurredAt));
    }

    [Fact]
    public void Should_normalise_the_wording_hash_to_upper_case_hex()
    {
        var (events, _) = ConsentRules.Validate(Grant(["marketing"], ["email"], evidence: Evidence with { WordingSha256 = WordingHash.ToLowerInvariant() }), Now);

        Assert.Equal(WordingHash, Assert.Single(events).Evidence.WordingSha256);
    }

    [Fact]
    public void Should_name_the_limit_an_oversized_evidence_breaks()
    {
        var (_, errors) = ConsentRules.Validate(Grant(["marketing"], ["email"],
            evidence: Evidence with { Extra = Enumerable.Range(0, 200_000).ToDictionary(i => "k" + i, _ => "v") }), Now);

        Assert.Contains(errors, e => e.Message == "evidence.extra has 200000 keys; the limit is 64");
        Assert.Contains(errors, e => e.Message.EndsWith("the limit is 8192 bytes", StringComparison.Ordinal));
    }
}
