using CommsGateway.Contracts;
using CommsGateway.Core.Consent;

namespace CommsGateway.Core.Tests.Consent;

public sealed class ConsentLapseTests
{
    private static readonly DateTimeOffset Granted = new(2023, 3, 15, 9, 0, 0, TimeSpan.Zero);

    private static ConsentState State(bool granted = true) =>
        new(1, ConsentPurpose.Marketing, Channel.Email, null, granted, Granted);

    public static TheoryData<string, DateTimeOffset?, int, DateTimeOffset, bool> Cases => new()
    {
        { "exactly 36 months after the grant: not yet older", null, 36, Granted.AddMonths(36), false },
        { "one second past 36 months", null, 36, Granted.AddMonths(36).AddSeconds(1), true },
        { "one second before 36 months", null, 36, Granted.AddMonths(36).AddSeconds(-1), false },
        { "a later interaction restarts the clock", Granted.AddMonths(12), 36, Granted.AddMonths(40), false },
        { "later interaction, one second past its 36 months", Granted.AddMonths(12), 36, Granted.AddMonths(48).AddSeconds(1), true },
        { "an interaction before the grant does not count", Granted.AddMonths(-6), 36, Granted.AddMonths(36).AddSeconds(1), true },
        { "per-clinic setting: 24 months", null, 24, Granted.AddMonths(24).AddSeconds(1), true },
        { "per-clinic setting: 24 months, boundary", null, 24, Granted.AddMonths(24), false },
        { "offsets do not move the boundary", null, 36, Granted.AddMonths(36).ToOffset(TimeSpan.FromHours(2)), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_lapse_after_N_months_since_the_later_of_grant_and_last_interaction(
        string scenario, DateTimeOffset? lastInteraction, int months, DateTimeOffset now, bool lapsed)
    {
        Assert.True(lapsed == ConsentLapse.IsLapsed(State(), lastInteraction, months, now), scenario);
    }

    [Fact]
    public void Should_never_call_a_withdrawn_state_lapsed()
    {
        Assert.False(ConsentLapse.IsLapsed(State(granted: false), null, 36, Granted.AddYears(10)));
    }
}
