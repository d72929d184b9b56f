using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using Xunit.Abstractions;

namespace CommsGateway.Core.Tests.Unsubscribe;

public sealed class UnsubscribeTokensTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private static readonly byte[] SubscriberKey = RandomNumberGenerator.GetBytes(32);
    private static readonly UnsubscribeKey K1 = new("k1", RandomNumberGenerator.GetBytes(32));
    private static readonly UnsubscribeKey K2 = new("k2", RandomNumberGenerator.GetBytes(32));

    private static UnsubscribeTokens Tokens(string active = "k1", params UnsubscribeKey[] keys) =>
        new(new UnsubscribeKeyRing(keys.Length == 0 ? [K1] : keys, active));

    private static readonly string Ref = SubscriberReference.Compute(SubscriberKey, "clinic-belle-peau", "p-1002");

    private static string Issue(UnsubscribeTokens tokens, DateTimeOffset? at = null, string? campaign = "spring-peel") =>
        tokens.Issue("clinic-belle-peau", Ref, Channel.Email, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, campaign, at ?? Now);

    [Fact]
    public void Should_round_trip_every_claim()
    {
        var tokens = Tokens();
        var verification = tokens.Verify(Issue(tokens), Now.AddDays(1));

        Assert.True(verification.IsValid, verification.Rejection.ToString());
        Assert.Equal(
            new UnsubscribeClaims("clinic-belle-peau", Ref, Channel.Email, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, "spring-peel", Now, "k1"),
            verification.Claims);
    }

    [Fact]
    public void Should_round_trip_without_campaign_and_with_all_marketing_scope()
    {
        var tokens = Tokens();
        var token = tokens.Issue("t", Ref, Channel.WhatsApp, UnsubscribeScope.AllMarketing, UnsubscribeLocale.En, null, Now);

        var claims = tokens.Verify(token, Now).Claims;

        Assert.NotNull(claims);
        Assert.Null(claims.CampaignId);
        Assert.Equal(UnsubscribeScope.AllMarketing, claims.Scope);
        Assert.Equal(Channel.WhatsApp, claims.Channel);
    }

    [Fact]
    public void Should_reveal_no_patient_id_email_or_phone()
    {
        var tokens = Tokens();
        var token = Issue(tokens);
        var decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));

        Assert.DoesNotContain("p-1002", decoded, StringComparison.Ordinal);
        Assert.DoesNotContain("p-1002", token, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z0-9_-]+$", token);
        // Same patient, other clinic: another reference (no cross-tenant linking).
        Assert.NotEqual(Ref, SubscriberReference.Compute(SubscriberKey, "other-clinic", "p-1002"));
    }

    [Fact]
    public void Should_refuse_every_single_byte_flip()
    {
        var tokens = Tokens();
        var bytes = Base64Url.DecodeFromChars(Issue(tokens));

        for (var i = 0; i < bytes.Length; i++)
        {
            foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
            {
                var altered = bytes.ToArray();
                altered[i] ^= mask;
                var verification = tokens.Verify(Base64Url.EncodeToString(altered), Now);
                Assert.False(verification.IsValid, $"byte {i} ^ {mask:X2} accepted");
                Assert.NotEqual(TokenRejection.None, verification.Rejection);
            }
        }
    }

    [Fact]
    public void Should_refuse_every_truncation_and_extension()
    {
        var tokens = Tokens();
        var token = Issue(tokens);
        var bytes = Base64Url.DecodeFromChars(token);

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(tokens.Verify(Base64Url.EncodeToString(bytes.AsSpan(0, length)), Now).IsValid, $"truncated to {length}");
            Assert.False(tokens.Verify(token[..Math.Min(length, token.Length - 1)], Now).IsValid, $"text truncated to {length}");
        }

        Assert.Equal(TokenRejection.Malformed, tokens.Verify(Base64Url.EncodeToString([.. bytes, 0]), Now).Rejection);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 !")]
    [InlineData("AAAA")]
    [InlineData("%2e%2e")]
    public void Should_refuse_garbage_as_malformed(string token) =>
        Assert.Equal(TokenRejection.Malformed, Tokens().Verify(token, Now).Rejection);

    [Fact]
    public void Should_refuse_a_huge_token_without_decoding_it() =>
        Assert.Equal(TokenRejection.Malformed, Tokens().Verify(new string('A', 100_000), Now).Rejection);

    [Fact]
    public void Should_refuse_a_token_signed_with_a_key_outside_the_ring()
    {
        var forger = Tokens("k9", new UnsubscribeKey("k9", RandomNumberGenerator.GetBytes(32)));
        var sameIdOtherSecret = Tokens("k1", new UnsubscribeKey("k1", RandomNumberGenerator.GetBytes(32)));

        Assert.Equal(TokenRejection.UnknownKey, Tokens().Verify(Issue(forger), Now).Rejection);
        Assert.Equal(TokenRejection.BadSignature, Tokens().Verify(Issue(sameIdOtherSecret), Now).Rejection);
    }

    [Fact]
    public void Should_keep_verifying_old_links_after_rotation_and_sign_with_the_new_key()
    {
        var before = Tokens("k1", K1);
        var oldLink = Issue(before);
        var after = Tokens("k2", K1, K2);
        var newLink = Issue(after);

        Assert.Equal("k1", after.Verify(oldLink, Now.AddDays(30)).Claims?.KeyId);
        Assert.Equal("k2", after.Verify(newLink, Now).Claims?.KeyId);
        // Once k1 is retired from the ring, its links stop working.
        Assert.Equal(TokenRejection.UnknownKey, Tokens("k2", K2).Verify(oldLink, Now).Rejection);
    }

    [Fact]
    public void Should_accept_for_the_whole_validity_and_refuse_after()
    {
        var tokens = Tokens();
        var token = Issue(tokens);

        Assert.Equal(TimeSpan.FromDays(400), tokens.Validity);
        Assert.True(tokens.Verify(token, Now.AddDays(365)).IsValid);
        Assert.True(tokens.Verify(token, Now + tokens.Validity).IsValid);
        Assert.Equal(TokenRejection.Expired, tokens.Verify(token, Now + tokens.Validity + TimeSpan.FromSeconds(1)).Rejection);
    }

    [Fact]
    public void Should_refuse_a_token_from_the_future_beyond_clock_skew()
    {
        var tokens = Tokens();

        Assert.True(tokens.Verify(Issue(tokens, Now.AddMinutes(4)), Now).IsValid);
        Assert.Equal(TokenRejection.NotYetValid, tokens.Verify(Issue(tokens, Now.AddHours(1)), Now).Rejection);
    }

    [Fact]
    public void Should_refuse_a_validity_under_twelve_months() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new UnsubscribeTokens(new UnsubscribeKeyRing([K1], "k1"), TimeSpan.FromDays(200)));

    [Fact]
    public void Should_refuse_short_secrets_and_an_active_key_outside_the_ring()
    {
        Assert.Throws<ArgumentException>(() => new UnsubscribeKeyRing([new UnsubscribeKey("k", new byte[16])], "k"));
        Assert.Throws<ArgumentException>(() => new UnsubscribeKeyRing([K1], "k2"));
        Assert.Throws<ArgumentException>(() => new UnsubscribeKeyRing([K1, K1], "k1"));
    }

    [Fact]
    public void Should_refuse_a_non_canonical_spelling_of_a_valid_token()
    {
        var tokens = Tokens();
        var token = Issue(tokens);
        // Base64url's last character may carry unused bits: a different character can decode to the same bytes.
        var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var variants = alphabet.Select(c => token[..^1] + c).Where(t => t != token)
            .Where(t => Base64Url.IsValid(t) && Base64Url.DecodeFromChars(t).SequenceEqual(Base64Url.DecodeFromChars(token)));

        Assert.All(variants, v => Assert.False(tokens.Verify(v, Now).IsValid));
    }
}

public sealed class UnsubscribeTokenSizeTests(ITestOutputHelper output)
{
    [Fact]
    public void Should_keep_a_typical_link_short_enough_for_sms()
    {
        var tokens = new UnsubscribeTokens(new UnsubscribeKeyRing([new UnsubscribeKey("k2026a", RandomNumberGenerator.GetBytes(32))], "k2026a"));
        var reference = SubscriberReference.Compute(RandomNumberGenerator.GetBytes(32), "clinic-belle-peau", "p-1002");
        var withCampaign = tokens.Issue("clinic-belle-peau", reference, Channel.Sms, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, "spring-peel-2026", DateTimeOffset.UnixEpoch.AddYears(56));
        var without = tokens.Issue("clinic-belle-peau", reference, Channel.Sms, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, null, DateTimeOffset.UnixEpoch.AddYears(56));
        var footer = Core.Rendering.MessageRenderer.Render(new(Channel.Sms, Purpose.Marketing, UnsubscribeLocale.Fr, null, "x", null)
        {
            UnsubscribeUrl = new Uri("https://gw.example.fr/u/" + withCampaign),
        }).Text.Length - 1;

        output.WriteLine($"token {withCampaign.Length} chars with campaign, {without.Length} without; FR SMS footer {footer} chars");
        Assert.Equal(Base64Url.GetEncodedLength(1 + 7 + 18 + 16 + 3 + 17 + 8 + 16), withCampaign.Length);
        Assert.True(withCampaign.Length <= 120, $"{withCampaign.Length} chars");
    }
}
