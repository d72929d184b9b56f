namespace CommsGateway.Core.Classification.Model;

/// <summary>The text the model reads: the message as the patient sees it (<see cref="PatientText"/>).</summary>
internal static class ModelText
{
    public static string Reveal(string? text, bool isHtml) => string.IsNullOrEmpty(text) ? "" : PatientText.Reveal(text, isHtml);
}
