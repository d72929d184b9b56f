using CommsGateway.Contracts;
using CommsGateway.Core.Consent;

namespace CommsGateway.Core.Policy;

/// <summary>Everything the send policy may look at. The gateway loads it; the policy itself does no I/O.</summary>
/// <param name="Intent">The validated intent.</param>
/// <param name="Classification">The classifier's verdict on the whole content (subject, body, html, every block), including
/// whether marketing remains outside the blocks the producer marked marketing, and health details.</param>
/// <param name="Now">The decision instant.</param>
public sealed record PolicyInput(
    MessageIntent Intent,
    Classification.Classification Classification,
    DateTimeOffset Now)
{
    /// <summary>The patient's contact point, or null when the directory has no such patient.</summary>
    public ContactPoint? Contact { get; init; }

    public ConsentSnapshot Consent { get; init; } = ConsentSnapshot.Empty;

    /// <summary>True when the address this channel would use is suppressed (bounce, complaint, opt-out, erasure).</summary>
    public bool AddressSuppressed { get; init; }

    public TenantPolicySettings Settings { get; init; } = TenantPolicySettings.Default;

    /// <summary>Marketing messages sent to this patient in the 7 days before <see cref="Now"/>.</summary>
    public int MarketingSentLast7Days { get; init; }

    /// <summary>Current consent of each patient pictured in the intent's media (before/after photos).</summary>
    public IReadOnlyDictionary<string, ConsentSnapshot> PicturedPatientsConsent { get; init; } =
        new Dictionary<string, ConsentSnapshot>();

    /// <summary>False when no tenants row exists for the intent's tenant (the policy decides: UnknownTenant).</summary>
    public bool TenantKnown { get; init; } = true;

    /// <summary>True when the campaign this intent belongs to was cancelled before it was decided.</summary>
    public bool CampaignCancelled { get; init; }

    /// <summary>Who the clinic sends as (stored with the clinic); a channel without an identity is blocked.</summary>
    public ClinicSender Sender { get; init; } = ClinicSender.None;

    /// <summary>When the patient last wrote to the clinic on WhatsApp (opens the 24-hour window), null if never seen.</summary>
    public DateTimeOffset? LastWhatsAppInboundAt { get; init; }

    /// <summary>
    /// A person's verdict on content the classifier could not call (<see cref="Classification.ContentVerdict.Review"/>):
    /// this intent's own review, or one remembered for its clinic template. Null: none, and such an intent is Held.
    /// Ignored for a confident classification: a template verdict never turns confident marketing into service.
    /// </summary>
    public ReviewVerdict? Review { get; init; }
}

/// <summary>
/// A reviewer's verdict the policy applies in place of the classifier's unsure one.
/// </summary>
/// <param name="Purpose">Service or Marketing, as the reviewer said.</param>
/// <param name="Reason">ReviewedAsService, ReviewedAsMarketing, or TemplateVerdict (remembered from an earlier review).</param>
/// <param name="Details">Which review: its id, who, when (never message text).</param>
public sealed record ReviewVerdict(Purpose Purpose, string Reason, IReadOnlyList<string> Details);
