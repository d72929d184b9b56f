using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Unsubscribe;
using CommsGateway.Features.Unsubscribe;
using CommsGateway.IntegrationTests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CommsGateway.IntegrationTests.Features.Unsubscribe;

/// <summary>
/// GDPR art. 7(3), "takes effect at once": patients unsubscribe (one-click) while a 1,000-email campaign is being
/// decided. Every intent decided after a patient's withdrawal was acknowledged (200 = committed) must be Blocked, and
/// nothing decided after it reaches the provider.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CampaignWithdrawalRaceTests(GatewayFixture gateway, ITestOutputHelper output)
{
    private const int Patients = 1_000;
    private const int Withdrawing = 50;
    private const int WithdrawAfterDecisions = 100;
    // The campaign's tail is published only once the withdrawals are acknowledged, so some intents are certainly decided
    // after a withdrawal however fast the rest of the campaign goes; the others race it.
    private const int Tail = 100;
    private const int WithdrawingInTail = 10;

    private sealed record Row
    {
        public string PatientId { get; init; } = "";
        public string IntentId { get; init; } = "";
        public string Outcome { get; init; } = "";
        public string[] Reasons { get; init; } = [];
        public DateTime DecidedAt { get; init; }
        public long Seq { get; init; }
        public long? ConsentEventId { get; init; }
    }

    [Fact]
    public async Task Should_block_every_intent_decided_after_the_patients_withdrawal()
    {
        var tenant = Seed.NewTenant();
        var campaign = "race-" + Guid.NewGuid().ToString("N")[..8];
        var patients = Enumerable.Range(0, Patients).Select(i => ($"p{i:D4}", (string?)$"race{i}-{Guid.NewGuid():N}@example.fr", (string?)null)).ToList();
        await Seed.PatientsAsync(gateway, tenant, patients, Channel.Email);
        var links = gateway.Services.GetRequiredService<UnsubscribeLinks>();
        var linkOf = new Dictionary<string, Uri>();
        foreach (var (patient, _, _) in patients)
        {
            linkOf[patient] = await links.IssueAsync(tenant, patient, Channel.Email, UnsubscribeScope.Channel, UnsubscribeLocale.Fr, campaign, CancellationToken.None);
        }

        var intents = patients.Select(p => Seed.Marketing(tenant, p.Item1, Channel.Email, campaign)).ToList();
        var clock = Stopwatch.StartNew();
        var publishing = Task.WhenAll(intents.Take(Patients - Tail).Select(gateway.PublishAsync));

        // In the middle of the campaign, patients not decided yet unsubscribe.
        while (await CountAsync(tenant) < WithdrawAfterDecisions)
        {
            await Task.Delay(20);
        }

        await using (var connection = await gateway.Db.OpenConnectionAsync())
        {
            var decided = (await connection.QueryAsync<string>("select patient_id from decisions where tenant_id = @tenant", new { tenant })).ToHashSet();
            // Spread over the rest of the campaign: the first of them race the decisions, the last are clearly after.
            var undecided = patients.Take(Patients - Tail).Select(p => p.Item1).Where(p => !decided.Contains(p)).ToList();
            var racing = Withdrawing - WithdrawingInTail;
            // On a fast machine the head may be decided already; its withdrawals then come after their sends.
            var pool = undecided.Count >= racing ? undecided : patients.Take(Patients - Tail).Select(p => p.Item1).ToList();
            var chosen = Enumerable.Range(0, racing).Select(i => pool[i * pool.Count / racing])
                .Concat(patients.Skip(Patients - Tail).Select(p => p.Item1).Where((_, i) => i % (Tail / WithdrawingInTail) == 0))
                .ToList();
            var acknowledged = new ConcurrentDictionary<string, DateTimeOffset>();
            var withdrawalsFrom = clock.Elapsed;
            using var client = gateway.Factory.CreateClient();
            await Parallel.ForEachAsync(chosen, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (patient, ct) =>
            {
                using var response = await client.PostAsync(linkOf[patient].PathAndQuery,
                    new StringContent("List-Unsubscribe=One-Click", Encoding.ASCII, "application/x-www-form-urlencoded"), ct);
                response.EnsureSuccessStatusCode();
                acknowledged[patient] = DateTimeOffset.UtcNow; // the withdrawal committed before the 200
            });
            var withdrawnAt = clock.Elapsed;

            await publishing;
            await Task.WhenAll(intents.Skip(Patients - Tail).Select(gateway.PublishAsync));
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (await CountAsync(tenant) < Patients && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            var rows = (await connection.QueryAsync<Row>(
                "select patient_id, intent_id, outcome::text as outcome, reasons::text[] as reasons, decided_at, seq, consent_event_id from decisions where tenant_id = @tenant order by seq", new { tenant })).ToList();
            var withdrawals = (await connection.QueryAsync<(string PatientId, DateTime RecordedAt, long EventId)>("""
                select patient_id, recorded_at, event_id from consent_events
                where tenant_id = @tenant and action = 'withdraw' and source = 'unsubscribe_link'
                """, new { tenant })).ToDictionary(r => r.PatientId);
            var recordedAt = withdrawals.ToDictionary(w => w.Key, w => new DateTimeOffset(DateTime.SpecifyKind(w.Value.RecordedAt, DateTimeKind.Utc)));

            Assert.Equal(Patients, rows.Count);
            Assert.Equal(Patients, rows.Select(r => r.IntentId).Distinct().Count());
            Assert.Equal(chosen.Order(), recordedAt.Keys.Order());

            var withdrawnRows = rows.Where(r => acknowledged.ContainsKey(r.PatientId)).ToList();
            var after = withdrawnRows.Where(r => Utc(r.DecidedAt) > acknowledged[r.PatientId]).ToList();
            var before = withdrawnRows.Where(r => Utc(r.DecidedAt) < recordedAt[r.PatientId]).ToList();
            var accepted = gateway.Fake.Accepted.Where(m => intents.Any(i => i.IntentId == m.IntentId)).ToDictionary(m => m.IntentId!);

            // Some withdrawn patients' intents were decided after their withdrawal (at least the tail's) ...
            Assert.True(after.Count >= WithdrawingInTail, $"{after.Count} intents decided after their withdrawal");
            // ... and every one of them is Blocked for want of consent, and none reached the provider.
            Assert.All(after, r =>
            {
                Assert.Equal("Blocked", r.Outcome);
                Assert.Contains(ReasonCodes.NoMarketingConsent, r.Reasons);
                Assert.False(accepted.ContainsKey(r.IntentId), $"{r.IntentId} decided after the withdrawal reached the provider");
            });
            // Decided before the withdrawal began: consent still stood, so they went. A decision's time is taken when the
            // pipeline starts on its batch, before the batch's consent read: one whose read came after the withdrawal's
            // commit is Blocked, and then cites that very withdrawal as its evidence.
            Assert.All(before, r => Assert.True(r.Outcome == "Sent"
                || (r.Outcome == "Blocked" && r.Reasons.Contains(ReasonCodes.NoMarketingConsent) && r.ConsentEventId == withdrawals[r.PatientId].EventId),
                $"{r.IntentId}: {r.Outcome} ({string.Join(", ", r.Reasons)}), consent event {r.ConsentEventId}"));
            // Nobody else was touched.
            Assert.All(rows.Where(r => !acknowledged.ContainsKey(r.PatientId)), r => Assert.Equal("Sent", r.Outcome));

            var inFlight = withdrawnRows.Count(r => r.Outcome == "Sent" && accepted.TryGetValue(r.IntentId, out var m) && m.AcceptedAt > acknowledged[r.PatientId]);
            output.WriteLine($"campaign: {Patients} intents decided in {clock.Elapsed.TotalSeconds:F1} s; {Withdrawing} one-click withdrawals from {withdrawalsFrom.TotalSeconds:F1} s to {withdrawnAt.TotalSeconds:F1} s");
            output.WriteLine($"withdrawn patients: {after.Count} decided after their withdrawal (all Blocked), {before.Count} decided before it (Sent), " +
                             $"{withdrawnRows.Count - after.Count - before.Count} decided during the withdrawal's transaction; " +
                             $"{inFlight} decided-before-withdrawal messages handed to the provider after it");
        }
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private async Task<long> CountAsync(string tenant)
    {
        await using var connection = await gateway.Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from decisions where tenant_id = @tenant", new { tenant });
    }
}
