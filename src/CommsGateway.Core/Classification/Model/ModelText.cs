namespace CommsGateway.Core.Classification.Model;

/// <summary>The text the model reads: the message as the patient sees it.</summary>
internal static class ModelText
{
    public static string Reveal(string? text, bool isHtml) =>
        string.IsNullOrEmpty(text) ? "" : isHtml ? System.Text.RegularExpressions.Regex.Replace(System.Net.WebUtility.HtmlDecode(text), "<[^>]*>", "\n") : text;
}
