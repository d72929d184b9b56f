using System.Text.RegularExpressions;
using System.Globalization;
using DotLiquid;
using DotLiquid.Exceptions;

namespace CommsGateway.Core.Campaigns;

/// <summary>A placeholder problem, located so marketing staff can fix the template: "line 2: {{ patient.frist_name }}".</summary>
public sealed record TemplateProblem(string Template, int Line, string Placeholder, string Message)
{
    public override string ToString() => $"{Template}, line {Line}: {{{{ {Placeholder} }}}} {Message}";
}

/// <summary>What a campaign template may say about one recipient. Nothing else is exposed (data minimisation).</summary>
public sealed record TemplateValues(string? FirstName, string? LastName, string ClinicName, string CampaignName);

/// <summary>
/// A campaign's Liquid template (DotLiquid). A placeholder that is unknown, or whose value a recipient lacks (no first
/// name on record), is an error at queue time with its line and name: a "Hello ," message is never sent. A
/// placeholder with a <c>default</c> filter (<c>{{ patient.first_name | default: "there" }}</c>) may be empty.
/// </summary>
public sealed partial class CampaignTemplate
{
    /// <summary>The variables a template may use.</summary>
    public static readonly IReadOnlyList<string> Variables = ["patient.first_name", "patient.last_name", "clinic.name", "campaign.name"];

    private readonly Template _template;
    private readonly IReadOnlyList<Placeholder> _required;

    private CampaignTemplate(string name, Template template, IReadOnlyList<Placeholder> required)
    {
        Name = name;
        _template = template;
        _required = required;
    }

    /// <summary>"template fr", "subject en" ...: how problems name the template.</summary>
    public string Name { get; }

    /// <summary>Parses a template; syntax errors and unknown variables come back as problems with their line.</summary>
    public static (CampaignTemplate? Template, IReadOnlyList<TemplateProblem> Problems) Compile(string name, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Template template;
        try
        {
            template = Template.Parse(source);
        }
        catch (LiquidException e)
        {
            return (null, [new TemplateProblem(name, 1, "", "is not valid Liquid: " + e.Message)]);
        }

        var problems = new List<TemplateProblem>();
        var required = new List<Placeholder>();
        foreach (Match match in OutputTag().Matches(source))
        {
            var path = match.Groups["path"].Value;
            if (path.Length == 0)
            {
                continue; // a literal ({{ "text" }})
            }

            var line = LineOf(source, match.Index);
            if (!Variables.Contains(path, StringComparer.Ordinal))
            {
                problems.Add(new TemplateProblem(name, line, path, "is not a known placeholder (use one of: " + string.Join(", ", Variables) + ")"));
                continue;
            }

            if (!DefaultFilter().IsMatch(match.Groups["rest"].Value))
            {
                required.Add(new Placeholder(path, line));
            }
        }

        return problems.Count > 0 ? (null, problems) : (new CampaignTemplate(name, template, required), []);
    }

    /// <summary>Renders for one recipient, or names the placeholders this recipient has no value for.</summary>
    public (string? Text, IReadOnlyList<TemplateProblem> Problems) Render(TemplateValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        List<TemplateProblem>? problems = null;
        foreach (var placeholder in _required)
        {
            if (string.IsNullOrWhiteSpace(ValueOf(values, placeholder.Path)))
            {
                (problems ??= []).Add(new TemplateProblem(Name, placeholder.Line, placeholder.Path, "has no value for this patient (add | default: \"...\" or complete the record)"));
            }
        }

        if (problems is not null)
        {
            return (null, problems);
        }

        var variables = new Hash
        {
            ["patient"] = new Hash { ["first_name"] = values.FirstName, ["last_name"] = values.LastName },
            ["clinic"] = new Hash { ["name"] = values.ClinicName },
            ["campaign"] = new Hash { ["name"] = values.CampaignName },
        };
        // Plain text, no HTML escaping: SMS, WhatsApp and the email text part must not carry HTML entities.
        var text = _template.Render(new RenderParameters(CultureInfo.InvariantCulture) { LocalVariables = variables, ErrorsOutputMode = ErrorsOutputMode.Rethrow });
        return (text, []);
    }

    private static string? ValueOf(TemplateValues values, string path) => path switch
    {
        "patient.first_name" => values.FirstName,
        "patient.last_name" => values.LastName,
        "clinic.name" => values.ClinicName,
        "campaign.name" => values.CampaignName,
        _ => null,
    };

    private static int LineOf(string source, int index)
    {
        var line = 1;
        for (var i = 0; i < index; i++)
        {
            if (source[i] == '\n')
            {
                line++;
            }
        }

        return line;
    }

    private sealed record Placeholder(string Path, int Line);

    [GeneratedRegex(@"\{\{-?\s*(?<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?(?<rest>.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex OutputTag();

    [GeneratedRegex(@"\|\s*default\b")]
    private static partial Regex DefaultFilter();
}
