using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CommsGateway.Core.Consent;
using CommsGateway.Core.Preferences;
using CommsGateway.Core.Unsubscribe;
using static CommsGateway.Features.Preferences.PatientPage;

namespace CommsGateway.Features.Preferences;

/// <summary>One purpose of a receipt, in the shape of the Kantara Consent Receipt (v1.1) "purposes" entries, plus the proof.</summary>
public sealed record ReceiptPurpose(
    string Purpose,
    string? Channel,
    string? Placement,
    string Status,
    string ConsentType,
    DateTimeOffset? Since,
    long? EventId,
    string? Source,
    string? WordingVersion,
    string? WordingSha256,
    string? WordingText,
    string Termination);

/// <summary>The controller: the clinic (GDPR art. 4(7)); the gateway is its processor.</summary>
public sealed record ReceiptController(string PiiController, string? Contact, string? PrivacyNoticeUrl);

/// <summary>
/// A consent receipt in the spirit of the Kantara Initiative Consent Receipt Specification v1.1: who the controller is,
/// what the patient agreed to or refused, when, with which wording (version and SHA-256), and how to withdraw. The
/// patient is named by the same opaque reference as their links, never by name or address.
/// </summary>
public sealed record ConsentReceipt(
    string Version,
    string Jurisdiction,
    long ConsentTimestamp,
    DateTimeOffset IssuedAt,
    string CollectionMethod,
    string ConsentReceiptId,
    string Language,
    string PiiPrincipalId,
    IReadOnlyList<ReceiptController> PiiControllers,
    string? PolicyUrl,
    IReadOnlyList<ReceiptPurpose> Purposes,
    long? LastEventId);

public static class ConsentReceipts
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static ConsentReceipt Build(PreferenceView view, string subscriberRef, DateTimeOffset now, UnsubscribeLocale locale = UnsubscribeLocale.En)
    {
        ArgumentNullException.ThrowIfNull(view);
        var purposes = view.Rows.Select(r => new ReceiptPurpose(
            ConsentNames.Name(r.Item.Purpose),
            r.Item.Channel is { } c ? ConsentNames.Name(c) : null,
            r.Item.Placement is { } p ? ConsentNames.Name(p) : null,
            r.Latest is null ? "none" : r.Granted ? r.Lapsed ? "lapsed" : "granted" : "withdrawn",
            "EXPLICIT",
            r.Latest?.OccurredAt,
            r.Latest?.EventId,
            r.Latest?.Source,
            r.Latest?.WordingVersion,
            r.Latest?.WordingSha256?.ToLowerInvariant(),
            r.LatestWording?.Text,
            Termination(r.Item, locale))).ToList();
        var last = view.History.Count == 0 ? null : view.History[^1];
        return new ConsentReceipt(
            "KI-CR-v1.1.0",
            "EU (GDPR)",
            (last?.OccurredAt ?? now).ToUnixTimeSeconds(),
            now,
            last is null ? "none" : last.Source,
            Guid.CreateVersion7(now).ToString(),
            PreferenceCentre.LocaleName(locale),
            subscriberRef,
            [new ReceiptController(view.Brand.Name, view.Brand.Contact, view.Brand.PrivacyNoticeUrl)],
            view.Brand.PrivacyNoticeUrl,
            purposes,
            last?.EventId);
    }

    private static string Termination(ConsentItem item, UnsubscribeLocale l) => item.Channel switch
    {
        Contracts.Channel.Sms or Contracts.Channel.WhatsApp => T(l,
            "Répondre STOP, ou le lien « Gérer mes préférences » de nos messages : effet immédiat.",
            "Reply STOP, or use the \"Manage my preferences\" link in our messages: effective immediately."),
        Contracts.Channel.Email => T(l,
            "Le lien de désinscription ou « Gérer mes préférences » en bas de nos e-mails : effet immédiat.",
            "The unsubscribe or \"Manage my preferences\" link at the bottom of our emails: effective immediately."),
        _ => T(l,
            "Le lien « Gérer mes préférences » de nos messages, ou en contactant la clinique : effet immédiat.",
            "The \"Manage my preferences\" link in our messages, or by contacting the clinic: effective immediately."),
    };

    public static string Json(ConsentReceipt receipt) => JsonSerializer.Serialize(receipt, JsonOptions);

    public static string Html(UnsubscribeLocale l, PreferenceView view, ConsentReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(receipt);
        var body = new StringBuilder();
        body.Append($"<h1>{E(T(l, "Reçu de consentement", "Consent receipt"))}</h1>\n");
        body.Append($"<p>{E(T(l, "Responsable du traitement : ", "Controller: "))}<strong>{E(view.Brand.Name)}</strong>"
            + (view.Brand.Contact is { } contact ? $" — {E(contact)}" : "") + "</p>\n");
        body.Append($"<p>{E(T(l, "Établi le ", "Issued on "))}{E(Date(l, receipt.IssuedAt))}. {E(T(l, "Référence : ", "Reference: "))}<span class=\"hash\">{E(receipt.ConsentReceiptId)}</span></p>\n");
        body.Append($"<p class=\"note\">{E(T(l, "Vous êtes désigné(e) par une référence opaque : ", "You are named by an opaque reference: "))}<span class=\"hash\">{E(receipt.PiiPrincipalId)}</span></p>\n");
        body.Append("<ul class=\"items\">\n");
        foreach (var (row, purpose) in view.Rows.Zip(receipt.Purposes))
        {
            var status = purpose.Status switch
            {
                "granted" => T(l, "accepté", "agreed"),
                "lapsed" => T(l, "accord expiré", "consent lapsed"),
                "withdrawn" => T(l, "refusé ou retiré", "refused or withdrawn"),
                _ => T(l, "pas d'accord", "no consent"),
            };
            body.Append($"<li><h2>{E(PreferencePages.ItemTitle(l, row.Item))}</h2>\n<p class=\"state\">{E(status)}"
                + (purpose.Since is { } since ? $" — {E(Date(l, since))}" : "")
                + (purpose.Source is { } source ? $" ({E(PreferencePages.SourceName(l, source))})" : "") + "</p>\n");
            if (purpose.WordingVersion is { } version)
            {
                body.Append(purpose.WordingText is { } text ? $"<blockquote>{E(text)}</blockquote>\n" : "");
                body.Append($"<p class=\"hash\">{E(T(l, "Texte ", "Wording "))}{E(version)} · SHA-256 {E(purpose.WordingSha256)} · {E(T(l, "événement ", "event "))}{purpose.EventId}</p>\n");
            }

            body.Append($"<p class=\"note\">{E(T(l, "Pour retirer : ", "To withdraw: "))}{E(purpose.Termination)}</p></li>\n");
        }

        body.Append("</ul>\n");
        body.Append($"<p class=\"note\">{E(T(l, "Imprimez cette page ou enregistrez-la pour la conserver.", "Print or save this page to keep it."))}</p>\n");
        return Layout(l, view.Brand, T(l, "Reçu de consentement", "Consent receipt"), body.ToString());
    }
}
