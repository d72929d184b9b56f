using System.Security.Cryptography;
using System.Text;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Tests.Preferences;

public sealed class ConsentWordingsTests
{
    [Fact]
    public void Should_have_one_wording_per_item_and_language_under_distinct_versions()
    {
        Assert.Equal(ConsentItem.All.Count * 2, ConsentWordings.All.Count);
        Assert.Equal(ConsentWordings.All.Count, ConsentWordings.All.Select(w => w.Version).Distinct().Count());
        foreach (var item in ConsentItem.All)
        {
            Assert.NotEqual(ConsentWordings.For(item, UnsubscribeLocale.Fr).Text, ConsentWordings.For(item, UnsubscribeLocale.En).Text);
        }
    }

    [Fact]
    public void Should_hash_the_exact_text_shown()
    {
        var wording = ConsentWordings.For(new ConsentItem(ConsentPurpose.Marketing, Contracts.Channel.Sms, null), UnsubscribeLocale.Fr);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(wording.Text))), wording.Sha256);
        Assert.Same(wording, ConsentWordings.Find(wording.Version));
        Assert.Contains("SMS", wording.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_each_item_by_an_opaque_key_that_parses_back()
    {
        foreach (var item in ConsentItem.All)
        {
            Assert.Equal(item, ConsentItem.Parse(item.Key));
        }

        Assert.Equal("photo_marketing.social_media", new ConsentItem(ConsentPurpose.PhotoMarketing, null, PhotoPlacement.SocialMedia).Key);
        Assert.Null(ConsentItem.Parse("marketing.email,marketing.sms"));
        Assert.Null(ConsentItem.Parse("service.email"));
    }
}
