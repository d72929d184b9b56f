using CommsGateway.Core.Privacy;

namespace CommsGateway.Core.Tests.Privacy;

public sealed class AddressHasherTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    [Fact]
    public void Should_equal_HMAC_SHA256_of_the_address_under_the_key()
    {
        // Computed independently: printf '%s' +33612345678 | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f
        var hash = new AddressHasher(Key).Hash("+33612345678");

        Assert.Equal("b6f137d05b9943dff600853b915fc7e56b72c20ba917dd0bc1d729e638d2d655", Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void Should_give_another_hash_under_another_key_and_never_the_unkeyed_one()
    {
        var other = new AddressHasher([.. Enumerable.Range(1, 32).Select(i => (byte)i)]).Hash("+33612345678");

        Assert.Equal("27dd7e4dce5b76a586e0433682ee8ff80e2004ce571eaafa4414ad93359e5803", Convert.ToHexStringLower(other));
        Assert.NotEqual(new AddressHasher(Key).Hash("+33612345678"), other);
        // printf '%s' +33612345678 | sha256sum: what a brute force of phone numbers would find without the key.
        var unkeyed = System.Security.Cryptography.SHA256.HashData("+33612345678"u8);
        Assert.Equal("42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8", Convert.ToHexStringLower(unkeyed));
        Assert.NotEqual(unkeyed, other);
        Assert.NotEqual(unkeyed, new AddressHasher(Key).Hash("+33612345678"));
    }

    [Fact]
    public void Should_refuse_a_key_shorter_than_32_bytes() =>
        Assert.Throws<ArgumentException>(() => new AddressHasher(new byte[31]));

    [Fact]
    public void Should_not_show_the_key_in_its_text() =>
        Assert.Equal("AddressHasher", new AddressHasher(Key).ToString());
}
