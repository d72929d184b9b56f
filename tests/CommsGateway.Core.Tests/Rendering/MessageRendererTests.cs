using CommsGateway.Contracts;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Tests.Rendering;

public sealed class MessageRendererTests
{
    private static readonly Uri Link = new("https://gw.example/u/AbC-123_xyz");

    private static RenderRequest Request(Channel channel, UnsubscribeLocale locale, string body = "Offre: -20% sur les peelings.", string? html = null) =>
        new(channel, Purpose.Marketing, locale, channel == Channel.Email ? "Offre" : null, body, html)
        {
            UnsubscribeUrl = Link,
            ClinicName = "Clinique <Belle & Peau>",
        };

    [Fact]
    public void Should_leave_a_service_message_unchanged()
    {
        var request = Request(Channel.Email, UnsubscribeLocale.Fr, html: "<p>x</p>") with { DetectedPurpose = Purpose.Service, UnsubscribeUrl = null };

        var rendered = MessageRenderer.Render(request);

        Assert.Equal((request.Body, request.Html, false), (rendered.Text, rendered.Html, rendered.FooterAdded));
        Assert.Empty(rendered.Headers);
    }

    [Fact]
    public void Should_refuse_a_marketing_message_without_a_link() =>
        Assert.Throws<ArgumentException>(() => MessageRenderer.Render(Request(Channel.Sms, UnsubscribeLocale.En) with { UnsubscribeUrl = null }));

    [Theory]
    [InlineData(UnsubscribeLocale.Fr, "Se désinscrire : https://gw.example/u/AbC-123_xyz", "Vous recevez cet e-mail de Clinique <Belle & Peau>")]
    [InlineData(UnsubscribeLocale.En, "Unsubscribe: https://gw.example/u/AbC-123_xyz", "You receive this email from Clinique <Belle & Peau>")]
    public void Should_add_a_localized_footer_to_the_email_text(UnsubscribeLocale locale, string linkLine, string reason)
    {
        var rendered = MessageRenderer.Render(Request(Channel.Email, locale));

        Assert.StartsWith("Offre: -20% sur les peelings.\n\n-- \n", rendered.Text, StringComparison.Ordinal);
        Assert.Contains(reason, rendered.Text, StringComparison.Ordinal);
        Assert.EndsWith(linkLine + "\n", rendered.Text, StringComparison.Ordinal);
        Assert.Equal("Offre", rendered.Subject);
        Assert.True(rendered.FooterFits);
    }

    [Theory]
    [InlineData(UnsubscribeLocale.Fr, ">Se désinscrire</a>")]
    [InlineData(UnsubscribeLocale.En, ">Unsubscribe</a>")]
    public void Should_insert_an_escaped_html_footer_before_the_closing_body_tag(UnsubscribeLocale locale, string anchorText)
    {
        var rendered = MessageRenderer.Render(Request(Channel.Email, locale, html: "<html><body><p>Offre</p></BODY></html>"));

        Assert.NotNull(rendered.Html);
        var footer = rendered.Html.IndexOf("<div class=\"commsgw-unsubscribe\"", StringComparison.Ordinal);
        Assert.True(footer > rendered.Html.IndexOf("<p>Offre</p>", StringComparison.Ordinal));
        Assert.True(footer < rendered.Html.IndexOf("</BODY>", StringComparison.Ordinal));
        Assert.Contains("<a href=\"https://gw.example/u/AbC-123_xyz\"" + anchorText, rendered.Html, StringComparison.Ordinal);
        Assert.Contains("Clinique &lt;Belle &amp; Peau&gt;", rendered.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<Belle", rendered.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_append_the_html_footer_when_there_is_no_body_tag()
    {
        var rendered = MessageRenderer.Render(Request(Channel.Email, UnsubscribeLocale.En, html: "<p>Offer</p>"));
        Assert.StartsWith("<p>Offer</p><div class=\"commsgw-unsubscribe\"", rendered.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_add_rfc2369_and_rfc8058_headers()
    {
        var rendered = MessageRenderer.Render(Request(Channel.Email, UnsubscribeLocale.Fr));

        Assert.Equal("<https://gw.example/u/AbC-123_xyz>", rendered.Headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", rendered.Headers["List-Unsubscribe-Post"]);
    }

    [Fact]
    public void Should_offer_the_mailto_alternative_after_the_https_link()
    {
        var rendered = MessageRenderer.Render(Request(Channel.Email, UnsubscribeLocale.Fr) with { UnsubscribeMailto = "unsubscribe@gw.example" });

        Assert.Equal("<https://gw.example/u/AbC-123_xyz>, <mailto:unsubscribe@gw.example?subject=unsubscribe>", rendered.Headers["List-Unsubscribe"]);
    }

    [Theory]
    [InlineData(UnsubscribeLocale.Fr, "Offre: -20% sur les peelings.\nRépondez STOP pour ne plus recevoir : https://gw.example/u/AbC-123_xyz")]
    [InlineData(UnsubscribeLocale.En, "Offre: -20% sur les peelings.\nReply STOP to opt out: https://gw.example/u/AbC-123_xyz")]
    public void Should_add_the_stop_mention_and_link_to_an_sms(UnsubscribeLocale locale, string expected)
    {
        var rendered = MessageRenderer.Render(Request(Channel.Sms, locale));

        Assert.Equal(expected, rendered.Text);
        Assert.Empty(rendered.Headers);
        Assert.Null(rendered.Html);
        Assert.True(rendered.FooterFits);
        Assert.Equal(SmsEncoding.Gsm7, rendered.Segments?.Encoding);
        Assert.Equal(1, rendered.SegmentsWithoutFooter?.Segments);
    }

    [Fact]
    public void Should_count_the_footer_into_the_segments()
    {
        var body = new string('a', 150); // one segment alone, two with the footer
        var rendered = MessageRenderer.Render(Request(Channel.Sms, UnsubscribeLocale.En, body));

        Assert.Equal(1, rendered.SegmentsWithoutFooter?.Segments);
        Assert.Equal(2, rendered.Segments?.Segments);
        Assert.Equal(rendered.Text.Length, rendered.Segments?.Units);
    }

    [Fact]
    public void Should_keep_a_gsm7_body_gsm7_with_the_french_footer()
    {
        var rendered = MessageRenderer.Render(Request(Channel.Sms, UnsubscribeLocale.Fr, "Soin éclat à -20% cette semaine"));
        Assert.Equal(SmsEncoding.Gsm7, rendered.Segments?.Encoding);
    }

    [Fact]
    public void Should_say_the_footer_does_not_fit_when_it_pushes_past_the_segment_cap()
    {
        var body = new string('a', 153 * 10 - 5); // 10 segments alone
        var rendered = MessageRenderer.Render(Request(Channel.Sms, UnsubscribeLocale.En, body));

        Assert.Equal(10, rendered.SegmentsWithoutFooter?.Segments);
        Assert.False(rendered.FooterFits);
        Assert.True(rendered.FooterAdded);
    }

    [Fact]
    public void Should_say_the_footer_does_not_fit_past_the_ucs2_segment_cap()
    {
        var body = "😊" + new string('é', 67 * 3 - 10);
        var rendered = MessageRenderer.Render(Request(Channel.Sms, UnsubscribeLocale.Fr, body) with { MaxSmsSegments = 3 });

        Assert.Equal(SmsEncoding.Ucs2, rendered.Segments?.Encoding);
        Assert.Equal(3, rendered.SegmentsWithoutFooter?.Segments);
        Assert.False(rendered.FooterFits);
    }

    [Theory]
    [InlineData(UnsubscribeLocale.Fr, "Répondez STOP pour ne plus recevoir ces messages. Se désinscrire : https://gw.example/u/AbC-123_xyz")]
    [InlineData(UnsubscribeLocale.En, "Reply STOP to opt out. Unsubscribe: https://gw.example/u/AbC-123_xyz")]
    public void Should_add_the_link_and_stop_to_whatsapp(UnsubscribeLocale locale, string footer)
    {
        var rendered = MessageRenderer.Render(Request(Channel.WhatsApp, locale));
        Assert.Equal("Offre: -20% sur les peelings.\n\n" + footer, rendered.Text);
        Assert.True(rendered.FooterFits);
    }

    [Fact]
    public void Should_say_the_footer_does_not_fit_past_the_whatsapp_limit()
    {
        var rendered = MessageRenderer.Render(Request(Channel.WhatsApp, UnsubscribeLocale.En, new string('a', 4_090)));
        Assert.False(rendered.FooterFits);
    }

    [Theory]
    [InlineData("fr", UnsubscribeLocale.Fr)]
    [InlineData("fr-BE", UnsubscribeLocale.Fr)]
    [InlineData("FR", UnsubscribeLocale.Fr)]
    [InlineData("en-GB", UnsubscribeLocale.En)]
    [InlineData(null, UnsubscribeLocale.En)]
    [InlineData("de", UnsubscribeLocale.En)]
    public void Should_map_locales(string? locale, UnsubscribeLocale expected) => Assert.Equal(expected, UnsubscribeLocales.From(locale));
}

public sealed class MessageRendererPreferencesTests
{
    private static readonly Uri Unsubscribe = new("https://gw.example/u/AbC-123_xyz");
    private static readonly Uri Preferences = new("https://gw.example/p/AbC-123_xyz");

    [Theory]
    [InlineData(UnsubscribeLocale.Fr, "Gérer mes préférences : https://gw.example/p/AbC-123_xyz\nSe désinscrire : https://gw.example/u/AbC-123_xyz\n")]
    [InlineData(UnsubscribeLocale.En, "Manage my preferences: https://gw.example/p/AbC-123_xyz\nUnsubscribe: https://gw.example/u/AbC-123_xyz\n")]
    public void Should_put_the_preference_link_beside_the_unsubscribe_link_in_an_email(UnsubscribeLocale locale, string ending)
    {
        var rendered = MessageRenderer.Render(new RenderRequest(Channel.Email, Purpose.Marketing, locale, "Offre", "Offre", "<p>Offre</p>")
        {
            UnsubscribeUrl = Unsubscribe,
            PreferencesUrl = Preferences,
        });

        Assert.EndsWith(ending, rendered.Text, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://gw.example/p/AbC-123_xyz\">", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://gw.example/u/AbC-123_xyz\">", rendered.Html, StringComparison.Ordinal);
        Assert.Contains("font-size:14px", rendered.Html, StringComparison.Ordinal);
        Assert.Equal("<https://gw.example/u/AbC-123_xyz>", rendered.Headers["List-Unsubscribe"]); // one-click stays the /u/ link
    }

    [Fact]
    public void Should_keep_the_sms_footer_to_its_one_link()
    {
        var request = new RenderRequest(Channel.Sms, Purpose.Marketing, UnsubscribeLocale.En, null, "Offer", null)
        {
            UnsubscribeUrl = Unsubscribe,
            PreferencesUrl = Preferences,
        };

        var rendered = MessageRenderer.Render(request);

        Assert.Equal("Offer\nReply STOP to opt out: https://gw.example/u/AbC-123_xyz", rendered.Text);
        Assert.True(rendered.FooterFits);
    }
}
