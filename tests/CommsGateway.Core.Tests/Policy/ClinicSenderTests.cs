using CommsGateway.Contracts;
using CommsGateway.Core.Policy;

namespace CommsGateway.Core.Tests.Policy;

public sealed class ClinicSenderTests
{
    [Fact]
    public void Each_field_reads_back_what_was_set_under_its_stored_name_and_no_other()
    {
        foreach (var field in ClinicSender.Fields)
        {
            var sender = ClinicSender.None.With(field, "value-" + field);
            foreach (var other in ClinicSender.Fields)
            {
                Assert.Equal(other == field ? "value-" + field : null, sender.Get(other));
            }
        }
    }

    [Fact]
    public void An_unknown_field_is_refused_both_ways()
    {
        Assert.Throws<ArgumentException>(() => ClinicSender.None.Get("help_contact"));
        Assert.Throws<ArgumentException>(() => ClinicSender.None.With("help_contact", "x"));
    }

    [Fact]
    public void An_empty_value_clears_the_field()
    {
        var sender = ClinicSender.None.With("sms_from", "+33600000000").With("sms_from", "");
        Assert.Null(sender.Get("sms_from"));
        Assert.False(sender.CanSend(Channel.Sms));
    }
}
