namespace CommsGateway.Core.Consent;

/// <summary>Stable error codes of refused consent requests (API problem details, CLI messages).</summary>
public static class ConsentErrorCodes
{
    public const string Bundled = "ConsentBundled";
    public const string PreTicked = "ConsentPreTicked";
    public const string EvidenceMissing = "ConsentEvidenceMissing";
    public const string PlacementRequired = "PhotoPlacementRequired";
    public const string InvalidField = "InvalidField";
    public const string OccursInFuture = "ConsentInFuture";
    public const string EvidenceTooLarge = "ConsentEvidenceTooLarge";
}
