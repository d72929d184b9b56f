using System.Security.Cryptography;
using System.Text;
using CommsGateway.Contracts;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Core.Preferences;

/// <summary>
/// One consent wording exactly as a patient is shown it: its version id and the hex SHA-256 of its text are what the
/// ledger keeps as proof (GDPR art. 7(1)). The version names the language, since the French and English texts differ.
/// </summary>
public sealed record ConsentWording(
    string Version,
    ConsentPurpose Purpose,
    Channel? Channel,
    PhotoPlacement? Placement,
    UnsubscribeLocale Locale,
    string Text)
{
    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));
}

/// <summary>What a consent item is about: one purpose on one channel, or photo use in one placement.</summary>
public sealed record ConsentItem(ConsentPurpose Purpose, Channel? Channel, PhotoPlacement? Placement)
{
    public static readonly IReadOnlyList<ConsentItem> All =
    [
        new(ConsentPurpose.Marketing, Contracts.Channel.Email, null),
        new(ConsentPurpose.Marketing, Contracts.Channel.Sms, null),
        new(ConsentPurpose.Marketing, Contracts.Channel.WhatsApp, null),
        .. Enum.GetValues<PhotoPlacement>().Select(p => new ConsentItem(ConsentPurpose.PhotoMarketing, null, p)),
    ];

    /// <summary>The opaque key a page posts back ("marketing.email", "photo_marketing.website"): no personal data.</summary>
    public string Key => ConsentNames.Name(Purpose) + "." + (Channel is { } c ? ConsentNames.Name(c) : Placement is { } p ? ConsentNames.Name(p) : "");

    public static ConsentItem? Parse(string? key) => All.FirstOrDefault(i => string.Equals(i.Key, key, StringComparison.Ordinal));
}

/// <summary>
/// The wordings the gateway shows on its own pages (preference centre, unsubscribe undo, capture form) when the
/// clinic has not registered its own. Changing a text means a new version: a text is never edited under a version
/// already recorded in the ledger.
/// </summary>
public static class ConsentWordings
{
    public const string VersionPrefix = "gw-2026-1";

    private static readonly IReadOnlyList<ConsentWording> Defaults = Build();

    public static IReadOnlyList<ConsentWording> All => Defaults;

    public static ConsentWording For(ConsentItem item, UnsubscribeLocale locale)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Defaults.First(w => w.Purpose == item.Purpose && w.Channel == item.Channel && w.Placement == item.Placement && w.Locale == locale);
    }

    /// <summary>The text behind a recorded version, when it is one of ours (a clinic's own wordings are not known here).</summary>
    public static ConsentWording? Find(string? version) =>
        Defaults.FirstOrDefault(w => string.Equals(w.Version, version, StringComparison.Ordinal));

    private static List<ConsentWording> Build()
    {
        var list = new List<ConsentWording>();
        foreach (var item in ConsentItem.All)
        {
            foreach (var locale in new[] { UnsubscribeLocale.Fr, UnsubscribeLocale.En })
            {
                var version = $"{VersionPrefix}-{item.Key.Replace('.', '-').Replace('_', '-')}-{(locale == UnsubscribeLocale.Fr ? "fr" : "en")}";
                list.Add(new ConsentWording(version, item.Purpose, item.Channel, item.Placement, locale, Text(item, locale)));
            }
        }

        return list;
    }

    private static string Text(ConsentItem item, UnsubscribeLocale locale)
    {
        var fr = locale == UnsubscribeLocale.Fr;
        if (item.Purpose == ConsentPurpose.PhotoMarketing)
        {
            var where = PlacementName(item.Placement!.Value, locale);
            return fr
                ? $"J'accepte que la clinique utilise mes photos avant/après, sans mon nom, dans ce support : {where}. Je peux retirer cet accord à tout moment ; les supports déjà diffusés ne pourront pas toujours être retirés."
                : $"I agree that the clinic may use my before/after photos, without my name, in this placement: {where}. I can withdraw this at any time; material already published cannot always be recalled.";
        }

        var channel = ChannelName(item.Channel!.Value, locale);
        return fr
            ? $"J'accepte de recevoir par {channel} les actualités et offres de la clinique (soins, promotions, événements). Je peux me désinscrire à tout moment, en un clic ou en répondant STOP."
            : $"I agree to receive the clinic's news and offers (treatments, promotions, events) by {channel}. I can unsubscribe at any time, in one click or by replying STOP.";
    }

    public static string ChannelName(Channel channel, UnsubscribeLocale locale) => channel switch
    {
        Channel.Email => locale == UnsubscribeLocale.Fr ? "e-mail" : "email",
        Channel.Sms => "SMS",
        Channel.WhatsApp => "WhatsApp",
        _ => channel.ToString(),
    };

    public static string PlacementName(PhotoPlacement placement, UnsubscribeLocale locale) => (placement, locale == UnsubscribeLocale.Fr) switch
    {
        (PhotoPlacement.Newsletter, true) => "lettre d'information",
        (PhotoPlacement.Newsletter, false) => "newsletter",
        (PhotoPlacement.SocialMedia, true) => "réseaux sociaux",
        (PhotoPlacement.SocialMedia, false) => "social media",
        (PhotoPlacement.Website, true) => "site internet",
        (PhotoPlacement.Website, false) => "website",
        (PhotoPlacement.Flyer, true) => "prospectus",
        (PhotoPlacement.Flyer, false) => "flyers",
        (PhotoPlacement.Billboard, true) => "affichage",
        (PhotoPlacement.Billboard, false) => "billboards",
        (_, true) => "autres supports",
        _ => "other material",
    };
}

/// <summary>
/// The wordings one clinic's patients are shown: its own registered texts (the latest per item and language wins),
/// else the gateway's. Finds the text behind any recorded version of either.
/// </summary>
public sealed class WordingSet(IReadOnlyList<ConsentWording> clinic)
{
    public static readonly WordingSet Defaults = new([]);

    public ConsentWording For(ConsentItem item, UnsubscribeLocale locale)
    {
        ArgumentNullException.ThrowIfNull(item);
        return clinic.LastOrDefault(w => w.Purpose == item.Purpose && w.Channel == item.Channel && w.Placement == item.Placement && w.Locale == locale)
            ?? ConsentWordings.For(item, locale);
    }

    public ConsentWording? Find(string? version) =>
        clinic.FirstOrDefault(w => string.Equals(w.Version, version, StringComparison.Ordinal)) ?? ConsentWordings.Find(version);

    /// <summary>Null when a clinic may register this wording, else why not.</summary>
    public static string? Check(string? itemKey, string? version, string? text)
    {
        if (ConsentItem.Parse(itemKey) is null)
        {
            return $"item: one of {string.Join(", ", ConsentItem.All.Select(i => i.Key))}";
        }

        if (string.IsNullOrWhiteSpace(version) || version.Length > 100 || Validation.Identifiers.FirstForbidden(version) is not null
            || version.Any(char.IsWhiteSpace))
        {
            return "version: 1-100 characters, no spaces, control, bidi or zero-width characters";
        }

        if (version.StartsWith(ConsentWordings.VersionPrefix, StringComparison.Ordinal) || version.StartsWith("gw-", StringComparison.Ordinal))
        {
            return "version: 'gw-' versions are the gateway's own";
        }

        return string.IsNullOrWhiteSpace(text) || text.Length > 2000 || Validation.Identifiers.FirstForbidden(text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ')) is not null
            ? "text: 1-2000 characters, no control, bidi or zero-width characters"
            : null;
    }
}
