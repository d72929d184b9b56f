using System.Security.Cryptography;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Tests.Preferences;

public sealed class CaptureSubmissionTests
{
    private static Dictionary<string, string?> Shown(UnsubscribeLocale locale) =>
        ConsentItem.All.ToDictionary(i => i.Key, i => (string?)ConsentWordings.For(i, locale).Version);

    [Fact]
    public void Should_take_one_item_per_ticked_box()
    {
        var submission = CaptureSubmission.Parse(["marketing.sms", "photo_marketing.website", "marketing.sms"], Shown(UnsubscribeLocale.Fr), UnsubscribeLocale.Fr);

        Assert.True(submission.Ok);
        Assert.Equal(["marketing.sms", "photo_marketing.website"], submission.Items.Select(i => i.Key));
    }

    [Theory]
    [InlineData("marketing.sms,marketing.whatsapp")]
    [InlineData("marketing.email marketing.sms")]
    [InlineData("marketing")]
    [InlineData("photo_marketing")]
    [InlineData("all")]
    public void Should_refuse_the_whole_submission_when_a_box_stands_for_several_consents(string bundled)
    {
        var submission = CaptureSubmission.Parse(["photo_marketing.website", bundled], Shown(UnsubscribeLocale.En), UnsubscribeLocale.En);

        Assert.False(submission.Ok);
        Assert.Empty(submission.Items);
        Assert.Equal(ConsentErrorCodes.Bundled, Assert.Single(submission.Errors).Code);
    }

    [Fact]
    public void Should_refuse_a_box_shown_with_another_wording_version()
    {
        var shown = Shown(UnsubscribeLocale.Fr);
        shown["marketing.sms"] = "gw-2025-old";

        var submission = CaptureSubmission.Parse(["marketing.sms"], shown, UnsubscribeLocale.Fr);

        Assert.Equal(ConsentErrorCodes.EvidenceMissing, Assert.Single(submission.Errors).Code);
    }

    [Fact]
    public void Should_refuse_a_form_token_altered_expired_or_signed_elsewhere()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var now = new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
        var token = CaptureFormTokens.Issue(key, "clinic-a", new string('b', 32), UnsubscribeLocale.En, now);

        Assert.Equal(("clinic-a", new string('b', 32), UnsubscribeLocale.En), CaptureFormTokens.Verify(key, token, now.AddDays(29)) is { } c ? (c.TenantId, c.SubscriberRef, c.Locale) : default);
        Assert.Null(CaptureFormTokens.Verify(key, token, now + CaptureFormTokens.Validity + TimeSpan.FromSeconds(1)));
        Assert.Null(CaptureFormTokens.Verify(RandomNumberGenerator.GetBytes(32), token, now));
        Assert.Null(CaptureFormTokens.Verify(key, token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1], now));
        Assert.Null(CaptureFormTokens.Verify(key, "nonsense", now));
    }

    [Theory]
    [InlineData("https://clinic.example", "https://clinic.example")]
    [InlineData("https://Clinic.Example:8443", "https://clinic.example:8443")]
    [InlineData("http://clinic.example", null)]
    [InlineData("https://clinic.example/forms", null)]
    [InlineData("*", null)]
    [InlineData("https://clinic.example 'unsafe-inline'", null)]
    public void Should_accept_only_https_origins_for_frame_ancestors(string value, string? expected) =>
        Assert.Equal(expected, CaptureFormOrigins.Normalise(value));
}
