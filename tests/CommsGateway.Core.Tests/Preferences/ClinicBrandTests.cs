using CommsGateway.Core.Preferences;

namespace CommsGateway.Core.Tests.Preferences;

public sealed class ClinicBrandTests
{
    [Theory]
    [InlineData("#1d4ed8")]
    [InlineData("#0F766E")]
    [InlineData("#000000")]
    public void Should_accept_a_colour_readable_on_white(string color) => Assert.Null(ClinicBrand.Check("brand_color", color));

    [Theory]
    [InlineData("#ffff00", "contrast")] // yellow on white: 1.07:1
    [InlineData("#60a5fa", "contrast")] // light blue: 2.5:1
    [InlineData("#777777", "contrast")] // 4.48:1, just under WCAG's 4.5:1
    [InlineData("blue", "#1d4ed8")]
    [InlineData("#12345", "#1d4ed8")]
    [InlineData("#12345g", "#1d4ed8")]
    public void Should_refuse_an_unreadable_or_malformed_colour(string color, string said) =>
        Assert.Contains(said, ClinicBrand.Check("brand_color", color), StringComparison.Ordinal);

    [Fact]
    public void Should_compute_the_wcag_contrast_ratio()
    {
        Assert.Equal(21.0, ClinicBrand.ContrastWithWhite("#000000"), 2);
        Assert.Equal(1.0, ClinicBrand.ContrastWithWhite("#ffffff"), 2);
        Assert.Equal(4.48, ClinicBrand.ContrastWithWhite("#777777"), 2);
    }

    [Theory]
    [InlineData("brand_logo_url", "http://clinic.example/logo.png")]
    [InlineData("brand_logo_url", "/logo.png")]
    [InlineData("brand_logo_url", "javascript:alert(1)")]
    [InlineData("privacy_notice_url", "ftp://clinic.example/privacy")]
    [InlineData("brand_name", "Clinique\u202Eevil")]
    public void Should_refuse_what_a_page_must_not_link_or_show(string field, string value) =>
        Assert.NotNull(ClinicBrand.Check(field, value));

    [Theory]
    [InlineData("brand_logo_url", "https://clinic.example/logo.png")]
    [InlineData("privacy_notice_url", "https://clinic.example/confidentialite")]
    [InlineData("brand_contact", "01 23 45 67 89 · accueil@clinic.example")]
    [InlineData("brand_name", "")]
    public void Should_accept_https_links_text_and_clearing(string field, string value) => Assert.Null(ClinicBrand.Check(field, value));
}
