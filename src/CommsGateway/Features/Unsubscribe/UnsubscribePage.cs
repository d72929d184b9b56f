using CommsGateway.Contracts;
using CommsGateway.Core.Rendering;
using CommsGateway.Core.Unsubscribe;

namespace CommsGateway.Features.Unsubscribe;

/// <summary>The unsubscribe pages: tiny, static, accessible HTML (no script, no external resource, no cookie).</summary>
internal static class UnsubscribePage
{
    public static string Choice(UnsubscribeLocale locale, string clinic, Channel channel)
    {
        var fr = locale == UnsubscribeLocale.Fr;
        var channelName = ChannelName(locale, channel);
        var title = fr ? "Se désinscrire" : "Unsubscribe";
        var intro = fr
            ? $"Vous ne souhaitez plus recevoir les messages commerciaux de <strong>{E(clinic)}</strong> ?"
            : $"Don't want marketing messages from <strong>{E(clinic)}</strong> any more?";
        var note = fr
            ? "Les messages liés à vos rendez-vous et à vos soins continueront de vous parvenir."
            : "Messages about your appointments and care will still reach you.";
        var thisChannel = fr ? $"Ne plus recevoir d'offres par {channelName}" : $"Stop marketing by {channelName}";
        var all = fr ? "Ne plus recevoir aucune offre (e-mail, SMS, WhatsApp)" : "Stop all marketing (email, SMS, WhatsApp)";
        var body = $"""
            <h1>{E(title)}</h1>
            <p>{intro}</p>
            <form method="post">
              <button type="submit" name="scope" value="channel">{E(thisChannel)}</button>
              <button type="submit" name="scope" value="all" class="secondary">{E(all)}</button>
            </form>
            <p class="note">{E(note)}</p>
            """;
        return Layout(locale, title, body);
    }

    public static string Confirmation(UnsubscribeLocale locale, string clinic, Channel channel, UnsubscribeScope scope)
    {
        var fr = locale == UnsubscribeLocale.Fr;
        var title = fr ? "Désinscription confirmée" : "You are unsubscribed";
        var what = scope == UnsubscribeScope.AllMarketing
            ? fr ? "aucun message commercial" : "no marketing messages"
            : fr ? $"plus de messages commerciaux par {ChannelName(locale, channel)}" : $"no more marketing by {ChannelName(locale, channel)}";
        var text = fr
            ? $"C'est fait : vous ne recevrez {E(what)} de <strong>{E(clinic)}</strong>. Cela prend effet immédiatement."
            : $"Done: you will receive {E(what)} from <strong>{E(clinic)}</strong>. This takes effect immediately.";
        var body = $"""
            <div role="status">
            <h1 id="confirmation">{E(title)}</h1>
            <p>{text}</p>
            </div>
            """;
        return Layout(locale, title, body);
    }

    /// <summary>The same page for every invalid, forged or expired link: nothing tells whether a patient exists.</summary>
    public static string Invalid(UnsubscribeLocale locale)
    {
        var fr = locale == UnsubscribeLocale.Fr;
        var title = fr ? "Lien non valide" : "Invalid link";
        var text = fr
            ? "Ce lien de désinscription n'est pas valide ou a expiré. Vous pouvez répondre STOP au dernier SMS reçu ou contacter votre cabinet."
            : "This unsubscribe link is not valid or has expired. You can reply STOP to the last text message or contact your clinic.";
        return Layout(locale, title, $"<h1>{E(title)}</h1>\n<p>{E(text)}</p>");
    }

    private static string ChannelName(UnsubscribeLocale locale, Channel channel) => channel switch
    {
        Channel.Email => locale == UnsubscribeLocale.Fr ? "e-mail" : "email",
        Channel.Sms => "SMS",
        Channel.WhatsApp => "WhatsApp",
        _ => channel.ToString(),
    };

    private static string E(string text) => MessageRenderer.Escape(text);

    private static string Layout(UnsubscribeLocale locale, string title, string body) => $$"""
        <!doctype html>
        <html lang="{{(locale == UnsubscribeLocale.Fr ? "fr" : "en")}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex">
        <title>{{E(title)}}</title>
        <style>
          body { font: 1.05rem/1.5 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #f6f6f4; }
          main { max-width: 34rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; }
          h1 { font-size: 1.5rem; margin-top: 0; }
          form { display: flex; flex-direction: column; gap: .75rem; margin: 1.5rem 0; }
          button { font: inherit; padding: .8rem 1rem; border-radius: 6px; border: 2px solid #1d4ed8; background: #1d4ed8; color: #fff; cursor: pointer; }
          button.secondary { background: #fff; color: #1d4ed8; }
          button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
          .note { color: #444; font-size: .95rem; }
        </style>
        </head>
        <body>
        <main>
        {{body}}
        </main>
        </body>
        </html>
        """;
}
