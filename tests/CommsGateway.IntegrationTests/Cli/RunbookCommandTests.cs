extern alias cli;

using System.Text;
using System.Text.RegularExpressions;
using CliRoot = cli::CommsGateway.Cli.CliRoot;

namespace CommsGateway.IntegrationTests.Cli;

/// <summary>
/// Every `commsgw ...` line of runbooks/*.md parses with the CLI's own command tree: a renamed verb or option, or a
/// missing required one, fails here rather than in the hands of an operator during an incident.
/// </summary>
public sealed partial class RunbookCommandTests
{
    [GeneratedRegex(@"`(commsgw [^`]+)`")]
    private static partial Regex Inline();

    [GeneratedRegex(@"\$\([^)]*\)")]
    private static partial Regex Substitution();

    private static string RunbooksDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CommsGateway.sln")))
            {
                return Path.Combine(dir.FullName, "runbooks");
            }
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    /// <summary>(runbook:line, command) for each command in a code block line or an inline code span.</summary>
    public static TheoryData<string, string> Commands()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.GetFiles(RunbooksDirectory(), "*.md").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var where = $"{Path.GetFileName(file)}:{i + 1}";
                var trimmed = lines[i].Trim();
                if (trimmed.StartsWith("commsgw ", StringComparison.Ordinal))
                {
                    // A shell continuation ("... \") carries the command on to the next line, as bash reads it.
                    while (trimmed.EndsWith('\\') && i + 1 < lines.Length)
                    {
                        trimmed = trimmed[..^1].TrimEnd() + " " + lines[++i].Trim();
                    }

                    data.Add(where, trimmed);
                }
                else
                {
                    foreach (Match match in Inline().Matches(lines[i]))
                    {
                        data.Add(where, match.Groups[1].Value);
                    }
                }
            }
        }

        return data;
    }

    [Fact]
    public void Should_find_the_runbooks_commands() =>
        Assert.True(Commands().Count >= 20, $"only {Commands().Count} commsgw commands found in {RunbooksDirectory()}");

    [Theory]
    [MemberData(nameof(Commands))]
    public void Should_parse_with_the_cli(string where, string line)
    {
        var args = Arguments(line);
        if (args.Count == 0 || IsPlaceholder(args[0]))
        {
            return; // "commsgw <command> --help": prose, not a command
        }

        var result = CliRoot.Create().Parse(args);

        Assert.True(result.Errors.Count == 0, $"{where}: `{line}`: {string.Join("; ", result.Errors.Select(e => e.Message))}");
    }

    /// <summary>The shell words after "commsgw", up to a redirection, pipe or comment; placeholders get sample values.</summary>
    private static List<string> Arguments(string line)
    {
        var words = new List<string>();
        var text = Substitution().Replace(line, "2025-06-01T00:00:00Z");
        var current = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var c in text)
        {
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        var end = words.FindIndex(w => w is ">" or ">>" or "|" or "&&" or ";" || w.StartsWith('#'));
        var args = (end < 0 ? words : words[..end]).Skip(1).ToList();
        for (var i = 0; i < args.Count; i++)
        {
            if (IsPlaceholder(args[i]))
            {
                args[i] = i > 0 && args[i - 1] is "--from" or "--to" ? "2025-06-01T00:00:00Z" : "placeholder";
            }
        }

        return args;
    }

    private static bool IsPlaceholder(string word) => word == "..." || (word.StartsWith('<') && word.EndsWith('>'));
}
