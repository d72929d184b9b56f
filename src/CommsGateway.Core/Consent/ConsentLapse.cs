namespace CommsGateway.Core.Consent;

/// <summary>
/// CNIL keeps prospect data for marketing at most 3 years from the last contact: marketing consent counts as
/// lapsed once more than N months have passed since the later of its grant and the patient's last interaction.
/// </summary>
public static class ConsentLapse
{
    /// <summary>
    /// True when a granted state is older than <paramref name="months"/> months, counted from the later of the
    /// grant and the last interaction. Exactly N months is not yet "older than" N months.
    /// A withdrawn state is never "lapsed": it is simply not granted.
    /// </summary>
    public static bool IsLapsed(ConsentState state, DateTimeOffset? lastInteractionAt, int months, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(months);
        if (!state.Granted)
        {
            return false;
        }

        var anchor = lastInteractionAt is { } last && last > state.OccurredAt ? last : state.OccurredAt;
        // Calendar months in UTC, so the boundary does not move with the offset the timestamps were written in.
        return now.ToUniversalTime() > anchor.ToUniversalTime().AddMonths(months);
    }
}
