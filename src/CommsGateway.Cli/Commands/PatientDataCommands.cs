using System.CommandLine;
using System.Text.Json;
using CommsGateway.Features.Admin;
using CommsGateway.Features.Patients;
using Spectre.Console;

namespace CommsGateway.Cli.Commands;

/// <summary>`commsgw export` (access request, GDPR art. 15) and `commsgw erase` (erasure, art. 17).</summary>
internal static class PatientDataCommands
{
    // Relaxed escaping: the document is a file for the patient, not HTML ("+33..." stays readable).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Export(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        var tenant = CliHost.TenantOption();
        var patient = CliHost.PatientOption();
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the JSON document here instead of stdout" };
        var actor = CliHost.ActorOption();
        var format = new Option<string>("--format")
        {
            Description = "json (the full record, for the DPO) or html (a document the patient can read: contact points, consent history with wording, messages decided and why)",
            DefaultValueFactory = _ => "json",
        };
        format.AcceptOnlyFromAmong("json", "html");
        var locale = new Option<string?>("--locale") { Description = "html: fr or en (default: the patient's language on record)" };
        var command = new Command("export", "Access request: one JSON document with contact points, consent history with evidence, suppressions and decisions (or --format html for the patient)")
        {
            tenant, patient, output, actor, format, locale,
        };
        command.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var export = await services.GetRequiredService<PatientRecords>().ExportAsync(parse.GetValue(tenant)!, parse.GetValue(patient)!,
                Actor.Cli(parse.GetValue(actor)), ct);
            if (export is null)
            {
                await env.Error.WriteLineAsync("No such patient for this tenant.");
                return 3;
            }

            var document = parse.GetValue(format) == "html"
                ? await services.GetRequiredService<Features.Preferences.AccessReports>().HtmlAsync(export, parse.GetValue(locale), ct)
                : JsonSerializer.Serialize(export, Json);

            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, document, ct);
                env.Console.MarkupLine($"Wrote {Markup.Escape(file.FullName)}: {export.ConsentHistory.Count} consent events, {export.Decisions.Count} decisions.");
            }
            else
            {
                await env.Out.WriteLineAsync(document);
            }

            return 0;
        }, ct, builder => Features.Preferences.PreferencesFeature.AddPreferenceAdmin(builder)));
        return command;
    }

    public static Command Erase(CliEnvironment? environment = null)
    {
        var env = environment ?? CliEnvironment.Terminal;
        var tenant = CliHost.TenantOption();
        var patient = CliHost.PatientOption();
        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation" };
        var actor = CliHost.ActorOption();
        var command = new Command("erase", "Erasure: delete contact points and personal fields, keep pseudonymised consent/decision rows and a hashed suppression")
        {
            tenant, patient, yes, actor,
        };
        command.SetAction((parse, ct) => env.RunAsync(async services =>
        {
            var (t, p) = (parse.GetValue(tenant)!, parse.GetValue(patient)!);
            if (!env.Confirm($"Erase patient {Markup.Escape(p)} of {Markup.Escape(t)}? This cannot be undone.", parse.GetValue(yes), "erase"))
            {
                return 1;
            }

            var result = await services.GetRequiredService<PatientRecords>().EraseAsync(t, p, Actor.Cli(parse.GetValue(actor)), ct);
            if (result is null)
            {
                env.Console.MarkupLine("[red]No such patient for this tenant.[/]");
                return 3;
            }

            env.Console.MarkupLine($"[green]Erased[/]: contact deleted={result.ContactDeleted}, suppressions added={result.SuppressionsAdded}, " +
                $"consent events pseudonymised={result.ConsentEventsPseudonymised}, unsubscribe events pseudonymised={result.UnsubscribeEventsPseudonymised}, " +
                $"deferred intents closed={result.DeferredIntentsClosed}, provider texts cleared={result.ProviderTextsCleared}, " +
                $"provider opt-out notes pseudonymised={result.ProviderOptOutsPseudonymised}.");
            return 0;
        }, ct));
        return command;
    }
}
