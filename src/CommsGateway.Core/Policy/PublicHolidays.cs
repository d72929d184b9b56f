namespace CommsGateway.Core.Policy;

/// <summary>
/// Public holidays computed, not listed: commercial SMS is not sent on them in French practice
/// (CNIL / FFTélécoms code of conduct). Movable feasts derive from Easter.
/// </summary>
public static class PublicHolidays
{
    public static bool IsHoliday(string country, DateOnly date) => country.ToUpperInvariant() switch
    {
        "FR" => IsFrench(date),
        "GB" or "UK" or "GB-ENG" => IsEnglish(date),
        _ => false,
    };

    /// <summary>Western Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher).</summary>
    public static DateOnly EasterSunday(int year)
    {
        var a = year % 19;
        var b = year / 100;
        var c = year % 100;
        var d = b / 4;
        var e = b % 4;
        var f = (b + 8) / 25;
        var g = (b - f + 1) / 3;
        var h = ((19 * a) + b - d - g + 15) % 30;
        var i = c / 4;
        var k = c % 4;
        var l = (32 + (2 * e) + (2 * i) - h - k) % 7;
        var m = (a + (11 * h) + (22 * l)) / 451;
        var month = (h + l - (7 * m) + 114) / 31;
        var day = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(year, month, day);
    }

    private static bool IsFrench(DateOnly date)
    {
        var easter = EasterSunday(date.Year);
        return (date.Month, date.Day) switch
        {
            (1, 1) or (5, 1) or (5, 8) or (7, 14) or (8, 15) or (11, 1) or (11, 11) or (12, 25) => true,
            _ => date == easter.AddDays(1) // Easter Monday
                 || date == easter.AddDays(39) // Ascension
                 || date == easter.AddDays(50), // Whit Monday
        };
    }

    private static bool IsEnglish(DateOnly date)
    {
        var easter = EasterSunday(date.Year);
        if (date == easter.AddDays(-2) || date == easter.AddDays(1))
        {
            return true;
        }

        return date == SubstituteIfWeekend(new DateOnly(date.Year, 1, 1))
               || date == FirstMonday(date.Year, 5)
               || date == LastMonday(date.Year, 5)
               || date == LastMonday(date.Year, 8)
               || ChristmasDays(date.Year).Contains(date);
    }

    private static DateOnly SubstituteIfWeekend(DateOnly day) => day.DayOfWeek switch
    {
        DayOfWeek.Saturday => day.AddDays(2),
        DayOfWeek.Sunday => day.AddDays(1),
        _ => day,
    };

    private static DateOnly[] ChristmasDays(int year)
    {
        var christmas = new DateOnly(year, 12, 25);
        return christmas.DayOfWeek switch
        {
            DayOfWeek.Friday => [christmas, christmas.AddDays(3)],
            DayOfWeek.Saturday => [christmas.AddDays(2), christmas.AddDays(3)],
            DayOfWeek.Sunday => [christmas.AddDays(1), christmas.AddDays(2)],
            _ => [christmas, christmas.AddDays(1)],
        };
    }

    private static DateOnly FirstMonday(int year, int month)
    {
        var day = new DateOnly(year, month, 1);
        while (day.DayOfWeek != DayOfWeek.Monday)
        {
            day = day.AddDays(1);
        }

        return day;
    }

    private static DateOnly LastMonday(int year, int month)
    {
        var day = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        while (day.DayOfWeek != DayOfWeek.Monday)
        {
            day = day.AddDays(-1);
        }

        return day;
    }
}
