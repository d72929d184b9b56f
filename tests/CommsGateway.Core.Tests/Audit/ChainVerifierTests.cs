using CommsGateway.Core.Audit;
using CommsGateway.Core.Consent;

namespace CommsGateway.Core.Tests.Audit;

/// <summary>The one verifier of every chain, fed consent-ledger events as the ledger's append path links them.</summary>
public sealed class ChainVerifierTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 9, 30, 0, TimeSpan.Zero);

    private static ConsentChainEntry Event(long seq, string action = "grant") => new(seq, 100 + seq, At.AddMinutes(seq).AddSeconds(1),
        new ConsentEventFacts("clinic-a", "p-1", "marketing", "email", null, action, At.AddMinutes(seq), "web_form",
            action == "grant" ? "mkt-v3" : null, action == "grant" ? "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" : null,
            action == "grant" ? "booking-portal" : null, "api:key-1"));

    /// <summary>Links the events as the append path does: each row's prev_hash is the previous row's hash.</summary>
    private static List<(ConsentChainEntry Entry, byte[] Prev, byte[] Hash)> Chain(params ConsentChainEntry[] events)
    {
        var links = new List<(ConsentChainEntry, byte[], byte[])>();
        var prev = ChainHash.Genesis.ToArray();
        foreach (var e in events)
        {
            var hash = ChainHash.Compute(prev, e.Canonical());
            links.Add((e, prev, hash));
            prev = hash;
        }

        return links;
    }

    private static (ChainFault? Fault, int At, ChainVerifier Verifier) Walk(IEnumerable<StoredLink> links)
    {
        var verifier = ChainVerifier.FromGenesis();
        var i = 0;
        foreach (var link in links)
        {
            if (verifier.Next(link) is { } fault)
            {
                return (fault, i, verifier);
            }

            i++;
        }

        return (null, i, verifier);
    }

    [Fact]
    public void Should_verify_an_untouched_consent_chain_up_to_its_head()
    {
        var chain = Chain(Event(1), Event(2, "withdraw"), Event(3));

        var (fault, _, verifier) = Walk(chain.Select(l => new StoredLink(l.Prev, l.Hash, l.Entry.Canonical())));

        Assert.Null(fault);
        Assert.Equal(3, verifier.Links);
        Assert.True(verifier.EndsAt(chain[^1].Hash));
        Assert.False(verifier.EndsAt(chain[^2].Hash));
        Assert.False(verifier.EndsAt(null));
    }

    [Fact]
    public void Should_detect_a_tampered_consent_row()
    {
        var chain = Chain(Event(1), Event(2, "withdraw"), Event(3));
        // The withdrawal turned into a grant behind the ledger's back, its stored hashes left as they were.
        var tampered = chain[1].Entry with { Facts = chain[1].Entry.Facts with { Action = "grant", WordingVersion = "mkt-v3" } };

        var (fault, at, _) = Walk(chain.Select((l, i) => new StoredLink(l.Prev, l.Hash, (i == 1 ? tampered : l.Entry).Canonical())));

        Assert.Equal(ChainFault.Altered, fault);
        Assert.Equal(1, at);
    }

    [Fact]
    public void Should_detect_a_tampered_row_even_when_its_own_hash_was_recomputed()
    {
        var chain = Chain(Event(1), Event(2, "withdraw"), Event(3));
        var tampered = chain[1].Entry with { Facts = chain[1].Entry.Facts with { OccurredAt = At.AddYears(-1) } };
        var rehashed = ChainHash.Compute(chain[1].Prev, tampered.Canonical());
        var links = new[]
        {
            new StoredLink(chain[0].Prev, chain[0].Hash, chain[0].Entry.Canonical()),
            new StoredLink(chain[1].Prev, rehashed, tampered.Canonical()),
            new StoredLink(chain[2].Prev, chain[2].Hash, chain[2].Entry.Canonical()),
        };

        var (fault, at, _) = Walk(links);

        Assert.Equal(ChainFault.BrokenLink, fault);
        Assert.Equal(2, at);
    }

    [Fact]
    public void Should_bridge_a_tombstone_and_name_a_removed_or_unhashed_row()
    {
        var chain = Chain(Event(1), Event(2), Event(3));

        Assert.Null(Walk([new(chain[0].Prev, chain[0].Hash, null), new(chain[1].Prev, chain[1].Hash, chain[1].Entry.Canonical())]).Fault);
        Assert.Equal(ChainFault.BrokenLink, Walk([new(chain[0].Prev, chain[0].Hash, chain[0].Entry.Canonical()),
            new(chain[2].Prev, chain[2].Hash, chain[2].Entry.Canonical())]).Fault);
        Assert.Equal(ChainFault.Unhashed, Walk([new(null, null, chain[0].Entry.Canonical())]).Fault);
    }

    [Fact]
    public void Should_hash_every_field_that_proves_consent_but_not_erasable_provenance()
    {
        var baseline = ChainHash.Compute(ChainHash.Genesis, Event(1).Canonical());

        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, (Event(1) with { ChainSeq = 2 }).Canonical()));
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, (Event(1) with { EventId = 7 }).Canonical()));
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, (Event(1) with { Facts = Event(1).Facts with { PatientId = "p-2" } }).Canonical()));
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, (Event(1) with { Facts = Event(1).Facts with { Channel = null } }).Canonical()));
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, (Event(1) with { Facts = Event(1).Facts with { WordingSha256 = "00" } }).Canonical()));
        Assert.NotEqual(baseline, ChainHash.Compute(ChainHash.Genesis, (Event(1) with { RecordedAt = At }).Canonical()));
        Assert.Equal(baseline, ChainHash.Compute(ChainHash.Genesis, Event(1).Canonical()));
    }

    [Fact]
    public void Should_refuse_a_start_that_is_not_a_hash() =>
        Assert.Throws<ArgumentException>(() => new ChainVerifier(new byte[31]));
}
