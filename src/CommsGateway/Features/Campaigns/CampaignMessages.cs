using CommsGateway.Contracts;
using CommsGateway.Core.Campaigns;
using CommsGateway.Core.Consent;
using CommsGateway.Features.Admin;
using Npgsql;

namespace CommsGateway.Features.Campaigns;

/// <summary>
/// Turns a campaign into one MessageIntent per recipient: channel by preference, template by locale, rendered
/// for the patient. Preview and queue both call this, so what is previewed is exactly what is queued.
/// </summary>
public sealed class CampaignMessages(CampaignStore store, NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>Listing more problems than this helps nobody: the first ones show what to fix.</summary>
    private const int MaxProblems = 20;

    /// <summary>The intent id is deterministic, so re-queuing the same campaign is deduplicated by the gateway.</summary>
    public static string IntentId(string campaignId, string patientId, Channel channel) =>
        $"cmp:{campaignId}:{patientId}:{ConsentNames.Name(channel)}";

    public async Task<PreparedCampaign> PrepareAsync(string tenantId, string campaignId, string clinicName, CampaignDefinition definition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var compiled = new Dictionary<string, CampaignTemplate>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (locale, source) in definition.Templates ?? [])
        {
            Compile("template " + locale, source, "body:" + locale);
        }

        foreach (var (locale, source) in definition.Subjects ?? [])
        {
            Compile("subject " + locale, source, "subject:" + locale);
        }

        if (problems.Count > 0)
        {
            return new PreparedCampaign([], problems, 0, []);
        }

        var settings = await SettingsAsync(tenantId, ct);
        var members = await store.AudienceAsync(tenantId, campaignId, definition, ct);
        var preference = definition.ParsedChannels()!;
        var now = clock.GetUtcNow();
        var messages = new List<CampaignMessage>(members.Count);
        var unknown = new List<string>();
        var failing = 0;
        foreach (var member in members)
        {
            if (!member.OnRecord)
            {
                // Not in the directory: nobody to address, no name to render. Reported, not queued.
                unknown.Add(member.PatientId);
                continue;
            }

            // Queued before: the same channel, hence the same intent id, whatever the consent says now (choosing again
            // could pick another channel, a new intent id, and message the patient twice). The gateway re-checks it.
            var (channel, live) = member.QueuedChannel is { } queued
                ? (queued, ChannelPreference.IsLive(queued, member.Consent, member.LastInteractionAt, settings.ConsentLapseMonths, now))
                : ChannelPreference.Choose(preference, member.Consent, member.LastInteractionAt, settings.ConsentLapseMonths, now);
            var locale = LocaleFor(member.Locale, definition.Templates!);
            var values = new TemplateValues(member.FirstName, member.LastName, clinicName, definition.Name ?? "");
            var (text, textProblems) = compiled["body:" + locale].Render(values);
            string? subject = null;
            IReadOnlyList<TemplateProblem> subjectProblems = [];
            if (channel == Channel.Email && (compiled.GetValueOrDefault("subject:" + locale) ?? compiled.Values.FirstOrDefault(t => t.Name.StartsWith("subject", StringComparison.Ordinal))) is { } subjectTemplate)
            {
                (subject, subjectProblems) = subjectTemplate.Render(values);
            }

            if (textProblems.Count > 0 || subjectProblems.Count > 0)
            {
                failing++;
                foreach (var problem in textProblems.Concat(subjectProblems).Where(_ => problems.Count < MaxProblems))
                {
                    problems.Add($"patient {member.PatientId}: {problem}");
                }

                continue;
            }

            messages.Add(new CampaignMessage(new MessageIntent
            {
                IntentId = IntentId(campaignId, member.PatientId, channel),
                TenantId = tenantId,
                Producer = "campaigns",
                PatientId = member.PatientId,
                Channel = channel,
                DeclaredPurpose = Purpose.Marketing,
                Category = "campaign",
                CampaignId = campaignId,
                Locale = locale,
                Subject = subject?.Trim(),
                // The content is one block marked marketing: the classifier believes a marketing claim, so the
                // gateway always applies the marketing rules (consent, quiet hours, cap) to a campaign.
                Body = "",
                Blocks = [new ContentBlock { Kind = Purpose.Marketing, Text = text!.Trim() }],
                NotBefore = definition.NotBefore,
                ExpiresAt = definition.ExpiresAt,
            }, live, text!.Trim()));
        }

        if (failing > 0)
        {
            problems.Insert(0, $"{failing} recipient(s) have no value for a placeholder; nothing was queued");
        }

        return new PreparedCampaign(messages, problems, members.Count, unknown);

        void Compile(string name, string source, string key)
        {
            var (template, templateProblems) = CampaignTemplate.Compile(name, source);
            if (template is null)
            {
                problems.AddRange(templateProblems.Select(p => p.ToString()));
            }
            else
            {
                compiled[key] = template;
            }
        }
    }

    private static string LocaleFor(string? patientLocale, Dictionary<string, string> templates)
    {
        var wanted = patientLocale?.StartsWith("en", StringComparison.OrdinalIgnoreCase) == true ? "en" : "fr";
        return templates.ContainsKey(wanted) ? wanted : templates.Keys.Order(StringComparer.Ordinal).First();
    }

    private async Task<Core.Policy.TenantPolicySettings> SettingsAsync(string tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("select settings::text from tenants where tenant_id = $1", connection) { Parameters = { new() { Value = tenantId } } };
        return TenantSettings.Read(await command.ExecuteScalarAsync(ct) as string);
    }
}
