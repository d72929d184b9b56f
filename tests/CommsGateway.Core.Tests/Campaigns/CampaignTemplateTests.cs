using CommsGateway.Contracts;
using CommsGateway.Core.Campaigns;
using CommsGateway.Core.Consent;

namespace CommsGateway.Core.Tests.Campaigns;

public sealed class CampaignTemplateTests
{
    private static readonly TemplateValues Camille = new("Camille", "Durand", "Clinique & Co", "Spring peels");

    [Fact]
    public void Should_render_known_placeholders_as_plain_text()
    {
        var (template, problems) = CampaignTemplate.Compile("template fr", "Bonjour {{ patient.first_name }},\n{{ clinic.name }} vous offre -20 %.");

        Assert.Empty(problems);
        var (text, renderProblems) = template!.Render(Camille);
        Assert.Empty(renderProblems);
        Assert.Equal("Bonjour Camille,\nClinique & Co vous offre -20 %.", text);
    }

    [Fact]
    public void Should_refuse_an_unknown_placeholder_with_its_line_and_name()
    {
        var (template, problems) = CampaignTemplate.Compile("template en", "Hello {{ patient.first_name }},\n\nYour code: {{ offer.code }}");

        Assert.Null(template);
        var problem = Assert.Single(problems);
        Assert.Equal(3, problem.Line);
        Assert.Equal("offer.code", problem.Placeholder);
        Assert.Equal("template en", problem.Template);
    }

    [Fact]
    public void Should_refuse_a_recipient_without_a_value_with_the_line_and_name()
    {
        var (template, _) = CampaignTemplate.Compile("template en", "Spring offer\nHello {{ patient.first_name }}!");

        var (text, problems) = template!.Render(Camille with { FirstName = null });

        Assert.Null(text);
        var problem = Assert.Single(problems);
        Assert.Equal(2, problem.Line);
        Assert.Equal("patient.first_name", problem.Placeholder);
    }

    [Fact]
    public void Should_accept_a_missing_value_behind_a_default_filter()
    {
        var (template, _) = CampaignTemplate.Compile("template en", "Hello {{ patient.first_name | default: \"there\" }}!");

        var (text, problems) = template!.Render(Camille with { FirstName = null });

        Assert.Empty(problems);
        Assert.Equal("Hello there!", text);
    }

    [Fact]
    public void Should_report_a_syntax_error()
    {
        var (template, problems) = CampaignTemplate.Compile("template en", "Hello {% if patient.first_name %}{{ patient.first_name }}");

        Assert.Null(template);
        Assert.Contains("not valid Liquid", Assert.Single(problems).Message, StringComparison.Ordinal);
    }
}

public sealed class ChannelPreferenceTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private static ConsentState Grant(Channel channel, bool granted = true, int monthsAgo = 1) =>
        new(1, ConsentPurpose.Marketing, channel, null, granted, Now.AddMonths(-monthsAgo));

    [Fact]
    public void Should_pick_the_first_channel_with_a_live_grant()
    {
        var consent = new ConsentSnapshot([Grant(Channel.WhatsApp, granted: false), Grant(Channel.Sms, monthsAgo: 40), Grant(Channel.Email)]);

        var (channel, live) = ChannelPreference.Choose([Channel.WhatsApp, Channel.Sms, Channel.Email], consent, null, 36, Now);

        Assert.Equal(Channel.Email, channel); // WhatsApp withdrawn, SMS lapsed
        Assert.True(live);
    }

    [Fact]
    public void Should_fall_back_to_the_first_preference_without_any_live_grant()
    {
        var (channel, live) = ChannelPreference.Choose([Channel.Sms, Channel.Email], ConsentSnapshot.Empty, null, 36, Now);

        Assert.Equal(Channel.Sms, channel);
        Assert.False(live);
    }
}
