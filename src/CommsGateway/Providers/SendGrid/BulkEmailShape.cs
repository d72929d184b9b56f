using System.Text;
using CommsGateway.Core.Rendering;

namespace CommsGateway.Providers.SendGrid;

/// <summary>
/// A campaign email ready to share a SendGrid request: its subject, text and HTML with the recipient's own
/// unsubscribe link replaced by a tag (the link is the one part known to differ per recipient).
/// </summary>
internal sealed class BulkCandidate
{
    private BulkCandidate(OutboundMessage message, string? link, string?[] parts)
    {
        Message = message;
        Link = link;
        Parts = parts;
    }

    public OutboundMessage Message { get; }

    /// <summary>The recipient's signed unsubscribe link, or null (the email carries none).</summary>
    public string? Link { get; }

    /// <summary>
    /// The link's token (its last path segment), or null: the footer's preference-centre link carries the same token
    /// (<c>/p/{token}</c>), so it differs per recipient too.
    /// </summary>
    public string? Token => BulkEmailShape.TokenOf(Link);

    /// <summary>Subject, text and HTML, link replaced by <see cref="BulkEmailShape.LinkTag"/> / <see cref="BulkEmailShape.LinkHtmlTag"/>.</summary>
    public string?[] Parts { get; }

    /// <summary>Null when the email cannot share a request (its own text holds the tag marker).</summary>
    public static BulkCandidate? Prepare(OutboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string?[] originals = [message.Subject, message.Text, message.Html];
        if (originals.Any(p => p?.Contains(BulkEmailShape.Marker, StringComparison.Ordinal) == true))
        {
            return null;
        }

        var link = message.UnsubscribeUrl?.AbsoluteUri;
        return new BulkCandidate(message, link, [.. originals.Select((part, i) => BulkEmailShape.Normalize(part, i, link))]);
    }

    /// <summary>Rough JSON size of this recipient's personalization (address, link, headers, ids, escaping).</summary>
    public int EstimatedBytes =>
        256 + (Message.To?.Length ?? 0) + (3 * (Link?.Length ?? 0)) + Message.IntentId.Length
        + Message.Headers.Sum(h => h.Key.Length + h.Value.Length + 8);
}

/// <summary>
/// Campaign emails that share one request: one template per part (subject, text, HTML) = the literal prefix all
/// members share, one hole, the literal suffix all share; each member fills the hole and the link tags with its own
/// substitutions. Built incrementally as members join (a member joins only if the holes stay small, see
/// <see cref="TryJoin"/>); <see cref="Plan"/> then VERIFIES, for every member, that
/// substituting its values into the templates gives back its own subject, text and HTML byte for byte, within
/// SendGrid's limits: a member that does not is sent on its own.
/// </summary>
internal sealed class BulkEmailShape
{
    /// <summary>Every tag starts with it; an email whose own text holds it never shares a request.</summary>
    public const string Marker = "[%cgw-";

    public const string LinkTag = "[%cgw-link%]";

    public const string LinkHtmlTag = "[%cgw-link-html%]";

    /// <summary>The link's token where it appears outside the link itself (the preference-centre link).</summary>
    public const string TokenTag = "[%cgw-token%]";

    /// <summary>Shorter tokens are not replaced: they could match ordinary text.</summary>
    private const int MinTokenLength = 16;

    /// <summary>The hole of each part: subject, text, HTML.</summary>
    public static readonly IReadOnlyList<string> HoleTags = ["[%cgw-subject%]", "[%cgw-text%]", "[%cgw-html%]"];

    /// <summary>SendGrid: at most 100 substitutions per personalization (this shape uses at most 5).</summary>
    public const int MaxSubstitutions = 100;

    private const int PartCount = 3;
    private const int MaxSubjectHole = 200;
    private readonly string?[] _reference;
    private readonly int[] _prefix = new int[PartCount];
    private readonly int[] _suffix = new int[PartCount];
    private readonly int[] _min = new int[PartCount];
    private readonly int[] _max = new int[PartCount];

    // While every member's part equals the reference, the common suffix is not known yet (the prefix is everything).
    private readonly bool[] _identical = [true, true, true];
    private readonly List<BulkCandidate> _members = [];

    public BulkEmailShape(BulkCandidate first)
    {
        ArgumentNullException.ThrowIfNull(first);
        _reference = first.Parts;
        for (var i = 0; i < PartCount; i++)
        {
            var length = _reference[i]?.Length ?? 0;
            _prefix[i] = _min[i] = _max[i] = length;
        }

        _members.Add(first);
        EstimatedBytes = first.EstimatedBytes + (2 * _reference.Sum(p => p?.Length ?? 0));
    }

    public IReadOnlyList<BulkCandidate> Members => _members;

    /// <summary>Rough JSON size of the request these members would make.</summary>
    public long EstimatedBytes { get; private set; }

    /// <summary>
    /// Adds <paramref name="candidate"/> if, with it, the hole of the text and of the HTML stays within a quarter of the
    /// shortest member's, the subject's within 200 characters, and all holes together within <paramref name="maxHoleChars"/>;
    /// otherwise leaves the shape as it was.
    /// </summary>
    public bool TryJoin(BulkCandidate candidate, int maxHoleChars)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        Span<int> prefix = stackalloc int[PartCount];
        Span<int> suffix = stackalloc int[PartCount];
        var holes = 0;
        for (var i = 0; i < PartCount; i++)
        {
            var reference = _reference[i];
            var part = candidate.Parts[i];
            if (reference is null || part is null)
            {
                if (reference is not null || part is not null)
                {
                    return false; // one has the part, the other not: never the same shape
                }

                continue;
            }

            var min = Math.Min(_min[i], part.Length);
            var max = Math.Max(_max[i], part.Length);
            prefix[i] = CommonPrefix(reference, part, _prefix[i]);
            // Prefix and suffix never overlap in the shortest member.
            suffix[i] = CommonSuffix(reference, part, Math.Min(_identical[i] ? int.MaxValue : _suffix[i], min - prefix[i]));
            var hole = max - prefix[i] - suffix[i];
            // The text and HTML of one shape differ by a small part (a name), not by another template sharing a
            // footer; a subject may differ more (it is short), within bounds.
            if (i > 0 ? hole * 4 > min : hole > MaxSubjectHole)
            {
                return false;
            }

            holes += hole;
        }

        if (holes > maxHoleChars)
        {
            return false;
        }

        for (var i = 0; i < PartCount; i++)
        {
            if (_reference[i] is not { } reference)
            {
                continue;
            }

            _identical[i] = _identical[i] && prefix[i] == reference.Length && candidate.Parts[i]!.Length == reference.Length;
            _prefix[i] = prefix[i];
            _suffix[i] = suffix[i];
            _min[i] = Math.Min(_min[i], candidate.Parts[i]!.Length);
            _max[i] = Math.Max(_max[i], candidate.Parts[i]!.Length);
        }

        _members.Add(candidate);
        EstimatedBytes += candidate.EstimatedBytes + (3 * (holes / Math.Max(1, _members.Count)));
        return true;
    }

    /// <summary>
    /// The shared templates and each member's substitutions, verified: substituting reproduces the member's subject,
    /// text and HTML exactly, no value holds a tag delimiter, and the substitutions fit SendGrid's per-personalization
    /// byte limit. Members failing any of it are returned in <see cref="BulkPlan.Singles"/>.
    /// </summary>
    public BulkPlan Plan(int maxSubstitutionBytes)
    {
        var templates = new string?[PartCount];
        var hasHole = new bool[PartCount];
        for (var i = 0; i < PartCount; i++)
        {
            if (_reference[i] is not { } reference)
            {
                continue;
            }

            var shared = _prefix[i] + _suffix[i];
            hasHole[i] = _max[i] > shared || _min[i] > shared;
            templates[i] = hasHole[i]
                ? string.Concat(reference.AsSpan(0, _prefix[i]), HoleTags[i], reference.AsSpan(reference.Length - _suffix[i]))
                : reference;
        }

        var usesLink = templates.Any(t => t?.Contains(LinkTag, StringComparison.Ordinal) == true);
        var usesLinkHtml = templates[2]?.Contains(LinkHtmlTag, StringComparison.Ordinal) == true;
        var usesToken = templates.Any(t => t?.Contains(TokenTag, StringComparison.Ordinal) == true);
        var fitting = new List<(BulkCandidate Member, Dictionary<string, string> Substitutions)>(_members.Count);
        var singles = new List<BulkCandidate>();
        foreach (var member in _members)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            if (usesLink || usesLinkHtml || usesToken)
            {
                if (member.Link is null)
                {
                    singles.Add(member);
                    continue;
                }

                if (usesToken)
                {
                    if (member.Token is not { } token)
                    {
                        singles.Add(member);
                        continue;
                    }

                    values[TokenTag] = token;
                }

                if (usesLink)
                {
                    values[LinkTag] = member.Link;
                }

                if (usesLinkHtml)
                {
                    values[LinkHtmlTag] = MessageRenderer.Escape(member.Link);
                }
            }

            for (var i = 0; i < PartCount; i++)
            {
                if (hasHole[i])
                {
                    var part = member.Parts[i]!;
                    values[HoleTags[i]] = Denormalize(part.Substring(_prefix[i], part.Length - _prefix[i] - _suffix[i]), i, member.Link);
                }
            }

            if (Verified(templates, values, member.Message, maxSubstitutionBytes))
            {
                fitting.Add((member, values));
            }
            else
            {
                singles.Add(member);
            }
        }

        return new BulkPlan(templates[0], templates[1]!, templates[2], fitting, singles);
    }

    /// <summary>The check that makes sharing safe: what SendGrid will build from the templates is this member's own email.</summary>
    private static bool Verified(string?[] templates, Dictionary<string, string> values, OutboundMessage message, int maxSubstitutionBytes)
    {
        if (values.Count > MaxSubstitutions
            || values.Sum(v => Encoding.UTF8.GetByteCount(v.Key) + Encoding.UTF8.GetByteCount(v.Value)) > maxSubstitutionBytes)
        {
            return false;
        }

        // A value holding a tag delimiter could be read as a tag by a substitution engine that rescans its output.
        if (values.Values.Any(v => v.Contains("[%", StringComparison.Ordinal) || v.Contains("%]", StringComparison.Ordinal)))
        {
            return false;
        }

        return string.Equals(Substitute(templates[0], values), message.Subject, StringComparison.Ordinal)
            && string.Equals(Substitute(templates[1], values), message.Text, StringComparison.Ordinal)
            && string.Equals(Substitute(templates[2], values), message.Html, StringComparison.Ordinal);
    }

    /// <summary>
    /// SendGrid's substitution: every occurrence of a key is replaced by its value, in one pass (the fake provider
    /// applies the same rule). Null stays null.
    /// </summary>
    public static string? Substitute(string? template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (template is null)
        {
            return null;
        }

        var result = new StringBuilder(template.Length + values.Sum(v => v.Value.Length));
        var position = 0;
        while (position < template.Length)
        {
            var next = template.IndexOf(Marker, position, StringComparison.Ordinal);
            if (next < 0)
            {
                result.Append(template, position, template.Length - position);
                break;
            }

            result.Append(template, position, next - position);
            var key = values.Keys.Where(k => string.CompareOrdinal(template, next, k, 0, k.Length) == 0).MaxBy(k => k.Length);
            if (key is null)
            {
                result.Append(Marker);
                position = next + Marker.Length;
            }
            else
            {
                result.Append(values[key]);
                position = next + key.Length;
            }
        }

        return result.ToString();
    }

    internal static string? Normalize(string? part, int index, string? link)
    {
        if (part is null || string.IsNullOrEmpty(link))
        {
            return part;
        }

        var normalized = part.Replace(link, LinkTag, StringComparison.Ordinal);
        var escaped = MessageRenderer.Escape(link);
        normalized = index == 2 && !string.Equals(escaped, link, StringComparison.Ordinal)
            ? normalized.Replace(escaped, LinkHtmlTag, StringComparison.Ordinal)
            : normalized;
        return TokenOf(link) is { } token ? normalized.Replace(token, TokenTag, StringComparison.Ordinal) : normalized;
    }

    /// <summary>The last path segment of a link, when long enough to stand for that recipient alone.</summary>
    internal static string? TokenOf(string? link)
    {
        if (link is null || !Uri.TryCreate(link, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var path = uri.AbsolutePath;
        var token = path[(path.LastIndexOf('/') + 1)..];
        return token.Length >= MinTokenLength && !token.Contains('[', StringComparison.Ordinal) ? token : null;
    }

    /// <summary>The original text of a hole: the tags put back (a hole may span the link or the token).</summary>
    private static string Denormalize(string value, int index, string? link)
    {
        if (link is null || !value.Contains(Marker, StringComparison.Ordinal))
        {
            return value;
        }

        var restored = value.Replace(LinkTag, link, StringComparison.Ordinal);
        restored = index == 2 ? restored.Replace(LinkHtmlTag, MessageRenderer.Escape(link), StringComparison.Ordinal) : restored;
        return TokenOf(link) is { } token ? restored.Replace(TokenTag, token, StringComparison.Ordinal) : restored;
    }

    private static int CommonPrefix(string a, string b, int limit)
    {
        var max = Math.Min(limit, Math.Min(a.Length, b.Length));
        return a.AsSpan(0, max).CommonPrefixLength(b.AsSpan(0, max));
    }

    private static int CommonSuffix(string a, string b, int limit)
    {
        var max = Math.Max(0, Math.Min(limit, Math.Min(a.Length, b.Length)));
        var n = 0;
        while (n < max && a[a.Length - 1 - n] == b[b.Length - 1 - n])
        {
            n++;
        }

        return n;
    }
}

/// <summary>What one shape sends: templates, the members that share them (with their substitutions), the rest singly.</summary>
internal sealed record BulkPlan(
    string? Subject,
    string Text,
    string? Html,
    IReadOnlyList<(BulkCandidate Member, Dictionary<string, string> Substitutions)> Shared,
    IReadOnlyList<BulkCandidate> Singles);
