using CommsGateway.Contracts;

namespace CommsGateway.Cli.Bench;

/// <summary>
/// Realistic traffic: mostly service reminders, some reminders carrying a promotion (the classic violation),
/// marketing campaigns, and a few expired intents, spread over email, SMS and WhatsApp and 16 clinics.
/// Patients and consents are seeded by <see cref="BenchFixture.SeedAsync"/>: even patients granted marketing on
/// every channel (every sixth withdrew since), odd patients never did. As patient parity follows i's, campaigns
/// (i % 10 = 7, 8) and promotions in reminders (5, 6) split between consent present and absent.
/// </summary>
internal static class IntentMix
{
    private static readonly string[] Tenants = [.. Enumerable.Range(0, 16).Select(t => $"bench-clinic-{t:D2}")];
    private static readonly Channel[] Channels = [Channel.Email, Channel.Sms, Channel.WhatsApp];

    public static string Prefix(string run) => $"bench-{run}-";

    public static MessageIntent Create(string run, int i)
    {
        var tenant = Tenants[i % Tenants.Length];
        var channel = Channels[i / Tenants.Length % Channels.Length];
        var patient = $"p-{i % 5_000:D5}";
        var id = $"{Prefix(run)}{i:D7}";
        var subject = channel == Channel.Email ? "Your appointment" : null;
        return (i % 10) switch
        {
            < 5 => new MessageIntent
            {
                IntentId = id, TenantId = tenant, Producer = "booking", PatientId = patient, Channel = channel,
                DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Locale = "en", Subject = subject,
                Body = $"Reminder: your appointment with Dr Patel is on Tuesday at 10:30 at 12 High Street. Reply C to cancel. Ref {i}.",
                ExpiresAt = DateTimeOffset.UtcNow.AddDays(1),
            },
            < 7 => new MessageIntent
            {
                IntentId = id, TenantId = tenant, Producer = "booking", PatientId = patient, Channel = channel,
                DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Locale = "fr", Subject = subject,
                Body = $"Rappel : RDV mardi 10h30 avec le Dr Martin. Répondez ANNULER pour annuler. Réf {i}.",
                Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = "-20% sur les peelings ce mois-ci, réservez vite !" }],
            },
            < 9 => new MessageIntent
            {
                IntentId = id, TenantId = tenant, Producer = "campaigns", PatientId = patient, Channel = channel,
                DeclaredPurpose = Purpose.Marketing, Category = "campaign", CampaignId = "spring-" + tenant, Locale = "en",
                Subject = channel == Channel.Email ? "Spring offer" : null,
                Body = "Spring is here: 20% off all skin peels this month. Book online or call us.",
            },
            _ => new MessageIntent
            {
                IntentId = id, TenantId = tenant, Producer = "booking", PatientId = patient, Channel = channel,
                DeclaredPurpose = Purpose.Service, Category = "appointment_reminder", Subject = subject,
                Body = "Reminder: your appointment is today at 9:00.", ExpiresAt = DateTimeOffset.UtcNow.AddHours(-1),
            },
        };
    }
}
