using CommsGateway.Core.Audit;

namespace CommsGateway.Core.Tests.Audit;

public sealed class ChainHashTests
{
    private static CanonicalFields Row(string outcome = "Sent", string? patient = "p-1") => new CanonicalFields()
        .Uuid("decision_id", Guid.Parse("01890a5d-ac96-774b-bcce-b302099a8057"))
        .Text("tenant_id", "clinic-a")
        .Text("patient_id", patient)
        .Text("outcome", outcome)
        .TextArray("reasons", ["ServiceMessage"])
        .Bytes("content_sha256", new byte[] { 1, 2, 3 })
        .Int64("consent_event_id", null)
        .Timestamp("decided_at", new DateTimeOffset(2026, 11, 22, 10, 30, 0, TimeSpan.Zero).AddTicks(15));

    [Fact]
    public void Should_be_stable_for_version_1()
    {
        // Pinned: changing the encoding without a new version would break every stored chain.
        var hash = Convert.ToHexStringLower(ChainHash.Compute(ChainHash.Genesis, Row()));
        Assert.Equal(Pinned, hash);
    }

    // Also reproduced by an independent implementation of the documented encoding (Python, hashlib).
    private const string Pinned = "a1049b2d162e6a8c2c5e74d617ad1ec1ff5168f62562efd353614d7611ccc245";

    [Fact]
    public void Should_change_when_any_field_or_the_previous_hash_changes()
    {
        var baseline = ChainHash.Compute(ChainHash.Genesis, Row());
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, Row(outcome: "Blocked")));
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, Row(patient: null)));
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, Row(patient: "")));
        var otherPrevious = new byte[32];
        otherPrevious[31] = 1;
        Assert.NotEqual(baseline, ChainHash.Compute(otherPrevious, Row()));
        Assert.Equal(baseline, ChainHash.Compute(ChainHash.Genesis, Row()));
    }

    [Fact]
    public void Should_not_confuse_field_boundaries()
    {
        var ab = ChainHash.Compute(ChainHash.Genesis, new CanonicalFields().Text("a", "xy").Text("b", "z"));
        var ba = ChainHash.Compute(ChainHash.Genesis, new CanonicalFields().Text("a", "x").Text("b", "yz"));
        var array = ChainHash.Compute(ChainHash.Genesis, new CanonicalFields().TextArray("r", ["a,b"]));
        var split = ChainHash.Compute(ChainHash.Genesis, new CanonicalFields().TextArray("r", ["a", "b"]));
        Assert.NotEqual(ab, ba);
        Assert.NotEqual(array, split);
    }

    [Fact]
    public void Should_hash_timestamps_at_PostgreSQL_microsecond_precision()
    {
        var at = new DateTimeOffset(2026, 11, 22, 10, 30, 0, TimeSpan.Zero);
        var stored = ChainHash.Compute(ChainHash.Genesis, new CanonicalFields().Timestamp("t", at.AddTicks(10)));
        Assert.Equal(stored, ChainHash.Compute(ChainHash.Genesis, new CanonicalFields().Timestamp("t", at.AddTicks(19))));
        Assert.NotEqual(stored, ChainHash.Compute(ChainHash.Genesis, new CanonicalFields().Timestamp("t", at.AddTicks(20))));
    }

    [Fact]
    public void Should_refuse_a_previous_hash_of_the_wrong_length() =>
        Assert.Throws<ArgumentException>(() => ChainHash.Compute(new byte[31], Row()));
}
