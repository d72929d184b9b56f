using System.Globalization;
using System.Text;
using CommsGateway.Core.Classification;
using Xunit.Abstractions;

namespace CommsGateway.Core.Tests.Classification;

/// <summary>
/// Disguised promotions are still caught, and the Unicode noise of ordinary service messages changes nothing: every
/// marketing message of the labelled corpus that is caught as written is disguised by <see cref="DisguiseGenerator"/>
/// in every way (and in pairs of ways), in its text form and, for email, its HTML form; every service message answered
/// service gets each kind of ordinary noise.
/// </summary>
public sealed class DisguiseTests(ITestOutputHelper output)
{
    private static readonly ContentClassifier Classifier = new();

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private sealed record Sent(LabelledMessage Message, string Form, SentMessage Text);

    /// <summary>Every labelled message of data/classifier, as text and (email) as HTML.</summary>
    private static List<Sent> Corpus(string label) =>
    [
        .. Directory.GetFiles(ModelTests.CorpusDirectory(), "*.jsonl").Order(StringComparer.Ordinal)
            .SelectMany(LabelledCorpus.Load)
            .Where(m => m.Label == label)
            .SelectMany(m => m.Channel == "email"
                ? new[] { new Sent(m, "text", new(m.Subject ?? "", m.Body, "")), new Sent(m, "html", new(m.Subject ?? "", "", DisguiseGenerator.ToHtml(m.Body))) }
                : [new Sent(m, "text", new(m.Subject ?? "", m.Body, ""))]),
    ];

    private static ContentVerdict Verdict(SentMessage message) => Classifier.Score(message.Subject, message.Body, message.Html).Verdict;

    private static string Revealed(SentMessage message) =>
        (PatientText.Reveal(message.Subject, false) + "\n" + PatientText.Reveal(message.Body, false) + "\n" + PatientText.Reveal(message.Html, true)).ToLowerInvariant();

    [Fact]
    public void Should_catch_every_disguised_variant_of_a_known_promotion()
    {
        var promotions = Corpus("marketing");
        var withWords = promotions.Where(p => DisguiseGenerator.Find(p.Text.Subject).Count + DisguiseGenerator.Find(p.Text.Body + p.Text.Html).Count > 0).ToList();
        var bases = withWords.Where(p => Verdict(p.Text) != ContentVerdict.Service).ToList();
        output.WriteLine(string.Create(C, $"{promotions.Count} marketing texts (text and HTML forms), {withWords.Count} with promotional words or figures, {bases.Count} caught as written: the base promotions"));
        output.WriteLine(string.Create(C, $"base promotions: {bases.Count(b => b.Message.Lang == "fr")} French, {bases.Count(b => b.Message.Lang == "en")} English; {bases.Count(b => b.Form == "html")} HTML emails, {bases.Count(b => b.Form == "text" && b.Message.Channel == "email")} text emails, {bases.Count(b => b.Message.Channel is "sms" or "whatsapp")} SMS/WhatsApp"));

        // The corpus's promotions are caught as written (the model is trained on them): a base that is not is a finding of its own.
        Assert.True(bases.Count >= 0.98 * withWords.Count, $"only {bases.Count} of {withWords.Count} promotions caught undisguised");
        Assert.True(bases.Count >= 1000, $"only {bases.Count} base promotions");

        var variants = 0;
        var caught = 0;
        var misses = new List<string>();
        var differences = new List<string>();
        var table = new StringBuilder();
        table.AppendLine("| disguise | variants | caught | revealed as the original |");
        table.AppendLine("|---|---:|---:|---:|");
        for (var d = 0; d < DisguiseGenerator.All.Count; d++)
        {
            var disguise = DisguiseGenerator.All[d];
            int count = 0, hits = 0, same = 0;
            for (var b = 0; b < bases.Count; b++)
            {
                var variant = DisguiseGenerator.Disguised(bases[b].Text, disguise, seed: (b * 131) + d);
                if (variant is null)
                {
                    continue;
                }

                count++;
                if (Verdict(variant) != ContentVerdict.Service)
                {
                    hits++;
                }
                else if (misses.Count < 40)
                {
                    misses.Add($"{disguise} on {bases[b].Message.Id} ({bases[b].Form}): {Escape(variant.Subject)} | {Escape(variant.Body + variant.Html)}");
                }

                var revealed = Revealed(variant);
                var original = Revealed(bases[b].Text);
                if (revealed == original)
                {
                    same++;
                }
                else if (count - same <= 2)
                {
                    differences.Add($"{disguise}: {Escape(FirstDifference(original, revealed))}");
                }
            }

            table.AppendLine(C, $"| {disguise} | {count} | {hits} | {same} |");
            variants += count;
            caught += hits;

            // Every disguise meets the promotions it fits: a disguise that finds nothing to rewrite tests nothing.
            Assert.True(count >= 15, $"{disguise}: only {count} variants");
        }

        output.WriteLine(string.Create(C, $"{DisguiseGenerator.Single.Count} disguises and {DisguiseGenerator.Combined.Count} pairs; {variants} variants; {caught} caught ({(double)caught / variants:P2})"));
        output.WriteLine(table.ToString());
        foreach (var difference in differences)
        {
            output.WriteLine("REVEALED DIFFERENTLY " + difference);
        }

        foreach (var miss in misses)
        {
            output.WriteLine("MISS " + miss);
        }

        Assert.True(variants >= 10_000, $"only {variants} variants");
        Assert.True(caught == variants, $"{variants - caught} of {variants} disguised promotions answered service:\n{string.Join('\n', misses)}");
    }

    [Fact]
    public void Should_not_change_the_verdict_of_a_service_message_with_ordinary_unicode_noise()
    {
        var services = Corpus("service");
        var bases = services.Where(s => Verdict(s.Text) == ContentVerdict.Service).ToList();
        output.WriteLine(string.Create(C, $"{services.Count} service texts (text and HTML forms), {bases.Count} answered service as written: the base messages"));

        var noises = DisguiseGenerator.Noises.Append(DisguiseGenerator.Mixed).ToList();
        var messages = 0;
        var renamed = 0;
        var changed = new List<string>();
        var table = new StringBuilder();
        table.AppendLine("| noise | messages | verdict changed |");
        table.AppendLine("|---|---:|---:|");
        for (var n = 0; n <= noises.Count; n++)
        {
            var name = n < noises.Count ? noises[n].Name : "HTML entities (&rsquo; &nbsp; &eacute; ...)";
            int count = 0, moved = 0;
            for (var b = 0; b < bases.Count; b++)
            {
                var (message, form, text) = bases[b];
                if (n == noises.Count && form != "html")
                {
                    continue;
                }

                var random = new Random((b * 17) + n);
                SentMessage noisy, reference;
                if (n == noises.Count)
                {
                    noisy = text with { Html = DisguiseGenerator.ToHtmlWithEntities(message.Body, random) };
                    reference = text;
                }
                else
                {
                    var noise = noises[n];
                    var subject = noise.Apply(text.Subject, message.Lang, random);
                    var body = noise.Apply(message.Body, message.Lang, random);
                    noisy = form == "html" ? new(subject, "", DisguiseGenerator.ToHtml(body)) : new(subject, body, "");
                    var referenceBody = noise.ReferenceOf(message.Body);
                    reference = form == "html"
                        ? new(noise.ReferenceOf(text.Subject), "", DisguiseGenerator.ToHtml(referenceBody))
                        : new(noise.ReferenceOf(text.Subject), referenceBody, "");
                }

                if (noisy == reference)
                {
                    continue;
                }

                var expected = reference == text ? ContentVerdict.Service : Verdict(reference);
                renamed += expected == ContentVerdict.Service ? 0 : 1;
                count++;
                var verdict = Verdict(noisy);
                if (verdict != expected)
                {
                    moved++;
                    changed.Add($"{name} on {message.Id} ({form}) {expected} → {verdict}: {Escape(noisy.Subject)} | {Escape(noisy.Body + noisy.Html)}");
                }
            }

            table.AppendLine(C, $"| {name} | {count} | {moved} |");
            messages += count;
            Assert.True(count >= 100, $"{name}: only {count} messages");
        }

        output.WriteLine(string.Create(C, $"{noises.Count + 1} kinds of noise; {messages} noisy service messages; {changed.Count} verdicts changed by the noise"));
        output.WriteLine(string.Create(C, $"(the greeting without its name, the reference for a name in another script there, is not service for {renamed} of them)"));
        output.WriteLine(table.ToString());
        foreach (var line in changed.Take(40))
        {
            output.WriteLine("CHANGED " + line);
        }

        Assert.True(changed.Count == 0, $"{changed.Count} of {messages} service messages changed verdict under noise:\n{string.Join('\n', changed.Take(40))}");
    }

    [Fact]
    public void Should_disguise_deterministically_and_only_the_promotional_words()
    {
        var message = new SentMessage("Offre de mai", "Bonjour Marie, -20% sur le peeling ce mois-ci. Votre RDV reste jeudi.", "");
        foreach (var disguise in DisguiseGenerator.All.Where(d => !d.Markup))
        {
            var first = DisguiseGenerator.Disguised(message, disguise, seed: 7);
            Assert.Equal(first, DisguiseGenerator.Disguised(message, disguise, seed: 7));
            if (first is not null)
            {
                Assert.NotEqual(message, first);
                Assert.Contains("sur le peeling ce mois", first.Body, StringComparison.Ordinal);
                Assert.Contains("Votre RDV reste jeudi.", first.Body, StringComparison.Ordinal);
            }
        }

        Assert.Equal("\u202E%02-\u202C", DisguiseGenerator.Single.Single(d => d.Name == "right-to-left override").Apply("-20%", new Random(1)));
        Assert.Equal("PR0M0", DisguiseGenerator.Single.Single(d => d.Name == "digits for letters").Apply("PROMO", new Random(1)));
        Assert.Equal("p.r.o.m.o", DisguiseGenerator.Single.Single(d => d.Name == "dotted").Apply("promo", new Random(1)));
        Assert.Equal("－２０％", DisguiseGenerator.Single.Single(d => d.Name == "fullwidth").Apply("-20%", new Random(1)));
        Assert.Contains(DisguiseGenerator.Single.Single(d => d.Name == "discount in words").Apply("-25%", new Random(1)),
            new[] { "vingt-cinq pour cent", "vingt-cinq pourcent", "twenty-five percent", "twenty-five per cent" });
        Assert.Equal("soixante-et-onze pour cent", DisguiseGenerator.Single.Single(d => d.Name == "discount in words").Apply("71%", new Random(3)).Replace("pourcent", "pour cent", StringComparison.Ordinal));
    }

    /// <summary>Where two revealed texts part, with a little context: "… original » revealed".</summary>
    private static string FirstDifference(string original, string revealed)
    {
        var k = 0;
        while (k < original.Length && k < revealed.Length && original[k] == revealed[k])
        {
            k++;
        }

        var from = Math.Max(0, k - 20);
        return original[from..Math.Min(original.Length, k + 20)] + " » " + revealed[from..Math.Min(revealed.Length, k + 20)];
    }

    private static string Escape(string text) =>
        string.Concat(text.Replace("\n", " ⏎ ", StringComparison.Ordinal).Select(c => c is >= ' ' and < '\u007F' or (>= '\u00C0' and <= '\u017F') ? c.ToString() : $"\\u{(int)c:X4}"));
}
