using System.Security.Cryptography;
using System.Text;
using CommsGateway.Core.Security;

namespace CommsGateway.Core.Tests.Security;

public sealed class SendGridEventSignatureTests : IDisposable
{
    private const string Timestamp = "1763805600";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""[{"email":"x@example.com","event":"unsubscribe","sg_event_id":"e1"}]""" + "\r\n");

    private readonly ECDsa _sendGrid = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly SendGridEventSignature _verifier;

    public SendGridEventSignatureTests() =>
        _verifier = new SendGridEventSignature(Convert.ToBase64String(_sendGrid.ExportSubjectPublicKeyInfo()));

    private string Sign(string timestamp, byte[] body, ECDsa? key = null) => Convert.ToBase64String(
        (key ?? _sendGrid).SignData([.. Encoding.UTF8.GetBytes(timestamp), .. body], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    [Fact]
    public void Should_accept_a_signature_over_timestamp_and_raw_body() =>
        Assert.True(_verifier.Verify(Sign(Timestamp, Body), Timestamp, Body));

    [Fact]
    public void Should_refuse_an_altered_body_or_timestamp()
    {
        var signature = Sign(Timestamp, Body);
        var altered = Body.ToArray();
        altered[10] ^= 1;

        Assert.False(_verifier.Verify(signature, Timestamp, altered));
        Assert.False(_verifier.Verify(signature, "1763805601", Body));
        // Re-serialised JSON (whitespace gone) is not the raw body: verification must use the bytes as received.
        Assert.False(_verifier.Verify(signature, Timestamp, Body.AsSpan(0, Body.Length - 2)));
    }

    [Fact]
    public void Should_refuse_another_key_and_malformed_signatures()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.False(_verifier.Verify(Sign(Timestamp, Body, other), Timestamp, Body));
        Assert.False(_verifier.Verify("not base64!", Timestamp, Body));
        Assert.False(_verifier.Verify(Convert.ToBase64String(new byte[70]), Timestamp, Body));
        Assert.False(_verifier.Verify(null, Timestamp, Body));
        Assert.False(_verifier.Verify(Sign(Timestamp, Body), null, Body));
    }

    [Fact]
    public void Should_refuse_a_key_that_is_not_p256()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => new SendGridEventSignature(Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo())));
        // Same size, other curve: refused too.
        using var brainpool = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
        Assert.Equal(256, brainpool.KeySize);
        Assert.Throws<ArgumentException>(() => new SendGridEventSignature(Convert.ToBase64String(brainpool.ExportSubjectPublicKeyInfo())));
    }

    public void Dispose()
    {
        _verifier.Dispose();
        _sendGrid.Dispose();
    }
}
