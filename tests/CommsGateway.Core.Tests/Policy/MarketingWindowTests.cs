using CommsGateway.Core.Policy;

namespace CommsGateway.Core.Tests.Policy;

public sealed class MarketingWindowTests
{
    [Theory]
    [InlineData(2024, 3, 31)]
    [InlineData(2025, 4, 20)]
    [InlineData(2026, 4, 5)]
    [InlineData(2027, 3, 28)]
    [InlineData(2038, 4, 25)]
    public void Should_compute_Easter(int year, int month, int day) =>
        Assert.Equal(new DateOnly(year, month, day), PublicHolidays.EasterSunday(year));

    [Theory]
    [InlineData("2026-01-01", true)] // Jour de l'an
    [InlineData("2026-04-06", true)] // Lundi de Pâques
    [InlineData("2026-05-01", true)]
    [InlineData("2026-05-08", true)]
    [InlineData("2026-05-14", true)] // Ascension
    [InlineData("2026-05-25", true)] // Lundi de Pentecôte
    [InlineData("2026-07-14", true)]
    [InlineData("2026-08-15", true)]
    [InlineData("2026-11-01", true)]
    [InlineData("2026-11-11", true)]
    [InlineData("2026-12-25", true)]
    [InlineData("2026-04-03", false)] // Good Friday is not a French holiday
    [InlineData("2026-11-24", false)]
    public void Should_know_French_public_holidays(string date, bool holiday) =>
        Assert.Equal(holiday, PublicHolidays.IsHoliday("FR", DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Should_be_open_on_a_weekday_morning() =>
        Assert.Null(MarketingWindow.NextOpening(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), "Europe/Paris", TenantPolicySettings.Default));

    [Theory]
    [InlineData("2026-11-24T19:00:00Z", "2026-11-25T07:00:00Z")] // 20:00 Paris: closed, next morning
    [InlineData("2026-11-24T06:59:00Z", "2026-11-24T07:00:00Z")] // 07:59 Paris: opens at 08:00
    [InlineData("2026-11-10T19:30:00Z", "2026-11-12T07:00:00Z")] // evening before 11 November: skip the holiday
    [InlineData("2026-05-13T20:00:00Z", "2026-05-15T06:00:00Z")] // Ascension Thursday skipped; summer time (UTC+2)
    [InlineData("2026-12-24T19:30:00Z", "2026-12-26T07:00:00Z")] // Christmas Eve evening -> Saturday 26th
    public void Should_defer_to_the_next_opening(string now, string expected)
    {
        var next = MarketingWindow.NextOpening(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), "Europe/Paris", TenantPolicySettings.Default);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), next);
    }

    [Fact]
    public void Should_use_the_patient_time_zone() =>
        // 10:00 UTC is 05:00 in New York: closed until 08:00 local (13:00 UTC).
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 13, 0, 0, TimeSpan.Zero),
            MarketingWindow.NextOpening(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), "America/New_York", TenantPolicySettings.Default with { HolidayCountry = "none" }));
}
