using System.Globalization;
using CommsGateway.Contracts;

namespace CommsGateway.Core.Consent;

/// <summary>Wire names (snake_case) used by the API, the CLI and the ledger's columns.</summary>
public static class ConsentNames
{
    public static ConsentPurpose? ParsePurpose(string? text) => Normalise(text) switch
    {
        "marketing" => ConsentPurpose.Marketing,
        "service" => ConsentPurpose.Service,
        "photo_marketing" or "photomarketing" => ConsentPurpose.PhotoMarketing,
        _ => null,
    };

    public static string Name(ConsentPurpose purpose) => purpose switch
    {
        ConsentPurpose.Marketing => "marketing",
        ConsentPurpose.Service => "service",
        ConsentPurpose.PhotoMarketing => "photo_marketing",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
    };

    public static Channel? ParseChannel(string? text) => Normalise(text) switch
    {
        "email" => Channel.Email,
        "sms" => Channel.Sms,
        "whatsapp" => Channel.WhatsApp,
        _ => null,
    };

    public static string Name(Channel channel) => channel switch
    {
        Channel.Email => "email",
        Channel.Sms => "sms",
        Channel.WhatsApp => "whatsapp",
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    public static PhotoPlacement? ParsePlacement(string? text) => Normalise(text) switch
    {
        "newsletter" => PhotoPlacement.Newsletter,
        "social_media" or "socialmedia" => PhotoPlacement.SocialMedia,
        "website" => PhotoPlacement.Website,
        "flyer" => PhotoPlacement.Flyer,
        "billboard" => PhotoPlacement.Billboard,
        "other" => PhotoPlacement.Other,
        _ => null,
    };

    public static string Name(PhotoPlacement placement) => placement switch
    {
        PhotoPlacement.SocialMedia => "social_media",
        _ => placement.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    public static ConsentAction? ParseAction(string? text) => Normalise(text) switch
    {
        "grant" => ConsentAction.Grant,
        "withdraw" => ConsentAction.Withdraw,
        _ => null,
    };

    public static string Name(ConsentAction action) => action == ConsentAction.Grant ? "grant" : "withdraw";

    private static string? Normalise(string? text) =>
        text?.Trim().Replace('-', '_').ToLower(CultureInfo.InvariantCulture);
}
