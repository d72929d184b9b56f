namespace CommsGateway.Core.Policy;

/// <summary>
/// When marketing may reach a patient: local time in the patient's (else the clinic's) zone, Monday to
/// Saturday inside the configured hours, never on Sundays or public holidays (French practice for
/// commercial SMS; CNIL). Outside it, the gateway defers to the next opening instead of sending.
/// </summary>
public static class MarketingWindow
{
    /// <summary>Null when <paramref name="now"/> is inside the window, else the next opening instant.</summary>
    public static DateTimeOffset? NextOpening(DateTimeOffset now, string timeZoneId, TenantPolicySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var zone = ResolveZone(timeZoneId);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        if (IsOpen(local, settings))
        {
            return null;
        }

        // Walk forward day by day (at most a couple of weeks even around Christmas/Easter).
        var day = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        if (time >= settings.MarketingWindowStart)
        {
            day = day.AddDays(1);
        }

        for (var i = 0; i < 30; i++, day = day.AddDays(1))
        {
            if (IsOpenDay(day, settings))
            {
                var opening = day.ToDateTime(settings.MarketingWindowStart);
                return new DateTimeOffset(opening, zone.GetUtcOffset(opening));
            }
        }

        throw new InvalidOperationException("No marketing window in the next 30 days: check the tenant's settings");
    }

    public static TimeZoneInfo ResolveZone(string? timeZoneId)
    {
        if (!string.IsNullOrWhiteSpace(timeZoneId) && TimeZoneInfo.TryFindSystemTimeZoneById(timeZoneId, out var zone))
        {
            return zone;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById("Europe/Paris", out var paris) ? paris : TimeZoneInfo.Utc;
    }

    private static bool IsOpen(DateTimeOffset local, TenantPolicySettings settings)
    {
        var time = TimeOnly.FromDateTime(local.DateTime);
        return IsOpenDay(DateOnly.FromDateTime(local.DateTime), settings)
               && time >= settings.MarketingWindowStart
               && time < settings.MarketingWindowEnd;
    }

    private static bool IsOpenDay(DateOnly day, TenantPolicySettings settings) =>
        (settings.MarketingOnSundays || day.DayOfWeek != DayOfWeek.Sunday)
        && !PublicHolidays.IsHoliday(settings.HolidayCountry, day);
}
