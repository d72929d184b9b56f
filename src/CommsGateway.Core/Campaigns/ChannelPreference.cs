using CommsGateway.Contracts;
using CommsGateway.Core.Consent;

namespace CommsGateway.Core.Campaigns;

/// <summary>
/// Which channel a campaign uses for one patient: the first channel of the preference on which the patient holds a
/// live marketing grant (granted and not lapsed, CNIL 3 years). With none, the first preferred channel: the gateway
/// then blocks it (NoMarketingConsent / ConsentLapsed) and the decision log shows why the patient got nothing.
/// </summary>
public static class ChannelPreference
{
    public static (Channel Channel, bool LiveGrant) Choose(IReadOnlyList<Channel> preference, ConsentSnapshot consent,
        DateTimeOffset? lastInteractionAt, int lapseMonths, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(preference);
        ArgumentNullException.ThrowIfNull(consent);
        if (preference.Count == 0)
        {
            throw new ArgumentException("A campaign needs at least one channel", nameof(preference));
        }

        foreach (var channel in preference)
        {
            if (IsLive(channel, consent, lastInteractionAt, lapseMonths, now))
            {
                return (channel, true);
            }
        }

        return (preference[0], false);
    }

    /// <summary>Whether the patient holds a live (granted, not lapsed) marketing grant on <paramref name="channel"/>.</summary>
    public static bool IsLive(Channel channel, ConsentSnapshot consent, DateTimeOffset? lastInteractionAt, int lapseMonths, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(consent);
        var state = consent.Find(ConsentPurpose.Marketing, channel);
        return state is { Granted: true } && !ConsentLapse.IsLapsed(state, lastInteractionAt, lapseMonths, now);
    }
}
