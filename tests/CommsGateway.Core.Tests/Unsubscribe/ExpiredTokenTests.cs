using System.Security.Cryptography;
using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Tests.Unsubscribe;

public sealed class ExpiredTokenTests
{
    private static readonly UnsubscribeTokens Tokens = new(new UnsubscribeKeyRing([new UnsubscribeKey("k1", RandomNumberGenerator.GetBytes(32))], "k1"));

    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Should_say_which_clinic_and_channel_an_expired_link_was_for_without_accepting_it()
    {
        var token = Tokens.Issue("clinic-a", new string('a', 32), Channel.WhatsApp, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, null,
            Now - Tokens.Validity - TimeSpan.FromSeconds(1));

        var verification = Tokens.Verify(token, Now);

        Assert.False(verification.IsValid);
        Assert.Null(verification.Claims);
        Assert.Equal(TokenRejection.Expired, verification.Rejection);
        Assert.Equal(("clinic-a", Channel.WhatsApp, UnsubscribeLocale.Fr), (verification.ExpiredClaims?.TenantId, verification.ExpiredClaims?.Channel, verification.ExpiredClaims?.Locale));
    }

    [Fact]
    public void Should_tell_nothing_about_a_forged_one()
    {
        var other = new UnsubscribeTokens(new UnsubscribeKeyRing([new UnsubscribeKey("k1", RandomNumberGenerator.GetBytes(32))], "k1"));
        var forged = other.Issue("clinic-a", new string('a', 32), Channel.Sms, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, null, Now - Tokens.Validity * 2);

        var verification = Tokens.Verify(forged, Now);

        Assert.Equal(TokenRejection.BadSignature, verification.Rejection);
        Assert.Null(verification.ExpiredClaims);
    }
}
