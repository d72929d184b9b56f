using System.Security.Cryptography;
using CommsGateway.Core.Preferences;

namespace CommsGateway.Core.Tests.Preferences;

public sealed class ConfirmationCodesTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Should_give_back_the_pending_id_of_a_code_it_issued()
    {
        var (code, pendingId) = ConfirmationCodes.Issue(Key);

        Assert.Equal(pendingId, ConfirmationCodes.Verify(Key, code));
        Assert.Equal(43, code.Length);
        Assert.Matches("^[A-Za-z0-9_-]+$", code);
    }

    [Fact]
    public void Should_refuse_a_code_altered_signed_with_another_key_or_malformed()
    {
        var (code, _) = ConfirmationCodes.Issue(Key);
        var flipped = code[..5] + (code[5] == 'A' ? 'B' : 'A') + code[6..];
        var (other, _) = ConfirmationCodes.Issue(RandomNumberGenerator.GetBytes(32));

        Assert.Null(ConfirmationCodes.Verify(Key, flipped));
        Assert.Null(ConfirmationCodes.Verify(Key, other));
        Assert.Null(ConfirmationCodes.Verify(Key, code[..^1]));
        Assert.Null(ConfirmationCodes.Verify(Key, code + "A"));
        Assert.Null(ConfirmationCodes.Verify(Key, null));
        Assert.Null(ConfirmationCodes.Verify(Key, new string('!', 43)));
    }

    [Fact]
    public void Should_issue_a_different_code_each_time() =>
        Assert.NotEqual(ConfirmationCodes.Issue(Key).Code, ConfirmationCodes.Issue(Key).Code);
}
