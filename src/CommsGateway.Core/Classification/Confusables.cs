namespace CommsGateway.Core.Classification;

/// <summary>
/// Letters of other scripts that a reader takes for Latin ones ("рromo" with a Cyrillic р), a compact
/// subset of the Unicode TR39 confusables table (confusables.txt): the Cyrillic, Greek, Armenian and
/// Cherokee look-alikes of the 26 Latin letters that render the same in common fonts, plus the Latin
/// small capitals and IPA letters that "fancy text" generators use (ᴘʀᴏᴍᴏ), which NFKC leaves alone.
/// Only one-to-one mappings: a skeleton never grows the text.
/// </summary>
internal static class Confusables
{
    public enum Script : byte
    {
        Other,
        Latin,
        Cyrillic,
        Greek,
        Armenian,
        Cherokee,
    }

    private static readonly Dictionary<char, char> Skeleton = Build();

    /// <summary>The Latin letter <paramref name="c"/> is mistaken for, or '\0'.</summary>
    public static char ToLatin(char c) => c < 0x80 ? '\0' : Skeleton.GetValueOrDefault(c);

    /// <summary>Latin-script look-alikes (small capitals, IPA) fold always: they never carry another language.</summary>
    public static char LatinLookalike(char c) => c is >= '\u0250' and <= '\u02AF' or >= '\u1D00' and <= '\u1D7F' or >= '\uA730' and <= '\uA7FF' or '\u0131'
        ? Skeleton.GetValueOrDefault(c)
        : '\0';

    public static Script ScriptOf(char c) => c switch
    {
        < '\u0080' => char.IsAsciiLetter(c) ? Script.Latin : Script.Other,
        <= '\u024F' or (>= '\u0250' and <= '\u02AF') or (>= '\u1D00' and <= '\u1DBF') or (>= '\u1E00' and <= '\u1EFF')
            or (>= '\u2C60' and <= '\u2C7F') or (>= '\uA720' and <= '\uA7FF') or (>= '\uAB30' and <= '\uAB6F') => char.IsLetter(c) ? Script.Latin : Script.Other,
        (>= '\u0370' and <= '\u03FF') or (>= '\u1F00' and <= '\u1FFF') => Script.Greek,
        (>= '\u0400' and <= '\u052F') or (>= '\u1C80' and <= '\u1C8F') or (>= '\u2DE0' and <= '\u2DFF') or (>= '\uA640' and <= '\uA69F') => Script.Cyrillic,
        >= '\u0530' and <= '\u058F' => Script.Armenian,
        >= '\u13A0' and <= '\u13FF' => Script.Cherokee,
        _ => Script.Other,
    };

    private static Dictionary<char, char> Build()
    {
        var map = new Dictionary<char, char>();
        void Add(string from, string to)
        {
            for (var i = 0; i < from.Length; i++)
            {
                map[from[i]] = to[i];
            }
        }

        // Cyrillic.
        Add("АВЕЅІЈКМНОРСТХУҮӀԜԚ", "ABESIJKMHOPCTXYYIWQ");
        Add("аеѕіјорсхуүһԁԛԝӏ", "aesijopcxyyhdqwl");
        Add("ѵѴ", "vV");

        // Greek.
        Add("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϜ", "ABEZHIKMNOPTYXF");
        Add("αοριυνκχγϲϳ", "aopiuvkxycj");

        // Armenian and Cherokee.
        Add("օսհոցզ", "ouhngq");
        Add("ՍՏՕ", "USO");
        Add("ᎪᏴᏟᎠᎬᎻᏦᎷᏒᏚᎢᏙᎳᏔᏃ", "ABCDEHKMRSTVWWZ");

        // Latin small capitals and IPA letters.
        Add("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz");
        Add("ɑıɩʋɡ", "aiivg");
        return map;
    }
}
