using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace GenAiServerless.Data.Quality;

/// <summary>The kinds of personal or secret data <see cref="PiiRedactor"/> replaces.</summary>
public enum PiiKind
{
    Email,
    Phone,
    Card,
    Iban,
    Ip,
    NationalId,
    Secret,
}

/// <summary>How many spans of each kind a redaction replaced.</summary>
public readonly record struct PiiCounts(int Email, int Phone, int Card, int Iban, int Ip, int NationalId, int Secret)
{
    public int Total => Email + Phone + Card + Iban + Ip + NationalId + Secret;

    /// <summary>The count of one kind.</summary>
    public int Of(PiiKind kind) => kind switch
    {
        PiiKind.Email => Email,
        PiiKind.Phone => Phone,
        PiiKind.Card => Card,
        PiiKind.Iban => Iban,
        PiiKind.Ip => Ip,
        PiiKind.NationalId => NationalId,
        PiiKind.Secret => Secret,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown PII kind"),
    };

    /// <summary>These counts with <paramref name="n"/> more of <paramref name="kind"/>.</summary>
    public PiiCounts Plus(PiiKind kind, int n) => kind switch
    {
        PiiKind.Email => this with { Email = Email + n },
        PiiKind.Phone => this with { Phone = Phone + n },
        PiiKind.Card => this with { Card = Card + n },
        PiiKind.Iban => this with { Iban = Iban + n },
        PiiKind.Ip => this with { Ip = Ip + n },
        PiiKind.NationalId => this with { NationalId = NationalId + n },
        PiiKind.Secret => this with { Secret = Secret + n },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown PII kind"),
    };

    /// <summary>Sums two sets of counts (say, a record's into a drop's).</summary>
    public static PiiCounts Add(PiiCounts left, PiiCounts right) => new(
        left.Email + right.Email,
        left.Phone + right.Phone,
        left.Card + right.Card,
        left.Iban + right.Iban,
        left.Ip + right.Ip,
        left.NationalId + right.NationalId,
        left.Secret + right.Secret);

    public static PiiCounts operator +(PiiCounts left, PiiCounts right) => Add(left, right);
}

/// <summary>Redacted text and what was replaced in it.</summary>
public readonly record struct PiiRedaction(string Text, PiiCounts Counts);

/// <summary>Replaces PII and secrets in normalised text with typed placeholders (<c>&lt;EMAIL&gt;</c>, <c>&lt;CARD&gt;</c>, …).
/// Pure and thread-safe.</summary>
/// <remarks>
/// <para>One regex pass per family, in this order (earlier families win, so a key's digits are never read as a phone):
/// secrets, e-mail, IBAN, card, national id, IP (IPv6 then IPv4), phone. A family whose cheap pre-check fails (no <c>@</c>, no digit, …) is
/// skipped, so text without PII costs a few vectorised scans. Regex candidates then go through validators: Luhn for
/// cards, ISO 13616 mod-97 and the country's length for IBANs, octet ranges / <see cref="IPAddress"/> for IPs.</para>
/// <para>What each family matches:</para>
/// <list type="bullet">
/// <item>Secrets: PEM <c>-----BEGIN … PRIVATE KEY-----</c> blocks (to the END line or, when it is missing, over the
/// base64 lines that follow); JWTs (<c>eyJ….eyJ….sig</c>); AWS access key ids (<c>AKIA</c>/<c>ASIA</c> + 16); a 40-character
/// base64 value assigned to an <c>aws_secret…</c> name (the value only); GitHub tokens (<c>ghp_/gho_/ghu_/ghs_/ghr_</c> + 36,
/// <c>github_pat_…</c>); the value of <c>AccountKey=</c> / <c>SharedAccessKey=</c> in Azure connection strings and
/// <c>sig=</c> in SAS URLs.</item>
/// <item>Phones: <c>+CC</c> or <c>00CC</c> international numbers, national numbers with a trunk <c>0</c>
/// (<c>020 7946 0958</c>, <c>01 23 45 67 89</c>), North American <c>(415) 555-2671</c> / <c>415-555-2671</c>;
/// 9 to 15 digits. Bare digit runs without <c>+</c>/<c>0</c> or separators (ids, timestamps), years, prices and
/// dotted versions are left alone.</item>
/// <item>National ids: US SSN <c>ddd-dd-dddd</c> (dashed form only; areas 000, 666 and 900–999, group 00 and serial
/// 0000 are invalid and left alone) and UK National Insurance numbers (<c>AB 12 34 56 C</c>, with or without spaces,
/// HMRC's letter rules).</item>
/// <item>IPs: dotted-quad IPv4 with every octet ≤ 255 (regex), and IPv6 (a scan from each colon, validated by <see cref="IPAddress.TryParse(ReadOnlySpan{char}, out IPAddress?)"/>).
/// A four-part version such as <c>1.2.3.4</c> is indistinguishable from an address and IS redacted; one written
/// <c>v1.2.3.4</c> or after the word <c>version</c>/<c>ver.</c>/<c>release</c>/<c>build</c> is not, nor is a five-part version.</item>
/// </list>
/// <para>Placeholders contain no digit, <c>@</c> or key prefix, so redacting redacted text changes nothing.</para>
/// <para>Every regex has a time budget (<see cref="MatchTimeout"/>); a pathological input throws
/// <see cref="RegexMatchTimeoutException"/> rather than hanging (<see cref="QualityPipeline"/> turns that into a drop).</para>
/// </remarks>
public sealed partial class PiiRedactor
{
    /// <summary>The time budget of each regex pass.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(TimeoutMs);

    const int TimeoutMs = 500;
    const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    delegate bool Validator(ReadOnlySpan<char> match, out int start, out int length);

    /// <summary>One pass: a regex with a validator, or (<see cref="Scan"/>) a hand-written scanner where a regex would
    /// start on too many characters. Skipped when <see cref="MayContain"/> says no, or, for a family that only matches
    /// digits (<see cref="NeedsDigit"/>), when the text has none.</summary>
    sealed record Family(PiiKind Kind, Regex? Regex, Func<string, bool>? MayContain, Validator Validate, Func<string, (string Text, int Count)>? Scan = null, bool NeedsDigit = false);

    static readonly Family[] Families =
    [
        new(PiiKind.Secret, SecretRegex(), MayContainSecret, ValidateSecret),
        new(PiiKind.Email, null, static t => t.Contains('@', StringComparison.Ordinal), Whole, RedactEmails),
        new(PiiKind.Iban, IbanRegex(), null, ValidateIban, NeedsDigit: true),
        new(PiiKind.Card, CardRegex(), null, ValidateCard, NeedsDigit: true),
        new(PiiKind.NationalId, NationalIdRegex(), null, Whole, NeedsDigit: true),
        new(PiiKind.Ip, Ipv4Regex(), static t => t.AsSpan().IndexOfAny('.', ':') >= 0, Whole, NeedsDigit: true),
        new(PiiKind.Phone, PhoneRegex(), null, ValidatePhone, NeedsDigit: true),
    ];

    readonly Family[] families;

    /// <summary>A redactor for every kind.</summary>
    /// <remarks>Declared after <see cref="Families"/>: static initialisers run in order.</remarks>
    public static PiiRedactor All { get; } = new();

    /// <summary>A redactor for the given kinds (all when none are given).</summary>
    public PiiRedactor(params IEnumerable<PiiKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var wanted = kinds.ToHashSet();
        families = wanted.Count == 0 ? Families : [.. Families.Where(f => wanted.Contains(f.Kind))];
    }

    /// <summary>The placeholder that replaces a span of <paramref name="kind"/>.</summary>
    public static string Placeholder(PiiKind kind) => kind switch
    {
        PiiKind.Email => "<EMAIL>",
        PiiKind.Phone => "<PHONE>",
        PiiKind.Card => "<CARD>",
        PiiKind.Iban => "<IBAN>",
        PiiKind.Ip => "<IP>",
        PiiKind.NationalId => "<NATIONAL_ID>",
        PiiKind.Secret => "<SECRET>",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown PII kind"),
    };

    /// <summary>Replaces every PII span in <paramref name="text"/>; returns the same string instance when there was none.</summary>
    /// <exception cref="RegexMatchTimeoutException">A pass exceeded <see cref="MatchTimeout"/>.</exception>
    public PiiRedaction Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        PiiCounts counts = default;

        // Most texts have no digit and five families need one: ask once per version of the text, not once per family.
        // A placeholder holds no digit, so only a redaction (a new string) can change the answer.
        string? digitsOf = null;
        bool hasDigit = false;
        foreach (Family family in families)
        {
            if (family.NeedsDigit && !ReferenceEquals(digitsOf, text))
            {
                (digitsOf, hasDigit) = (text, HasDigit(text));
            }

            if ((family.NeedsDigit && !hasDigit) || (family.MayContain is { } mayContain && !mayContain(text)))
            {
                continue;
            }

            int n = 0;
            if (family.Kind == PiiKind.Ip && text.Contains(':', StringComparison.Ordinal))
            {
                // IPv6 first, so the IPv4 tail of "::ffff:192.168.0.1" goes with its address.
                (text, n) = RedactIpv6(text);
            }

            (text, int found) = family.Scan is { } scan ? scan(text) : Apply(text, family);
            n += found;

            if (n > 0)
            {
                counts = counts.Plus(family.Kind, n);
            }
        }

        return new PiiRedaction(text, counts);
    }

    static (string Text, int Count) Apply(string text, Family family)
    {
        StringBuilder? sb = null;
        int last = 0;
        int count = 0;
        string placeholder = Placeholder(family.Kind);
        foreach (ValueMatch m in family.Regex!.EnumerateMatches(text))
        {
            if (!family.Validate(text.AsSpan(m.Index, m.Length), out int start, out int length))
            {
                continue;
            }

            sb ??= new StringBuilder(text.Length);
            sb.Append(text, last, m.Index + start - last).Append(placeholder);
            last = m.Index + start + length;
            count++;
        }

        if (sb is null)
        {
            return (text, 0);
        }

        sb.Append(text, last, text.Length - last);
        return (sb.ToString(), count);
    }

    static bool HasDigit(string text) => text.AsSpan().IndexOfAnyInRange('0', '9') >= 0;

    static bool Whole(ReadOnlySpan<char> match, out int start, out int length)
    {
        (start, length) = (0, match.Length);
        return true;
    }

    // ---- secrets ----

    /// <summary>Cheap gate: the regex starts on common letters (a, e, g, s), so run it only when a marker is present:
    /// <c>-----BEGIN</c>, <c>eyJ</c>, <c>AKIA</c>, <c>ASIA</c>, or <c>_</c> with <c>gh</c> anywhere, or <c>key=</c> / <c>sig=</c>,
    /// or <c>=</c> or <c>:</c> with <c>secret</c> anywhere (the last three ignoring case).</summary>
    /// <remarks>One vectorised scan for the rare characters every marker holds (<c>-</c>, <c>J</c>, <c>A</c>, <c>_</c>,
    /// <c>=</c>, <c>:</c>), each hit checked in place, instead of a scan per marker: prose has few of them, and seven
    /// scans of a text without a marker cost more than the rest of the redactor. <c>gh</c> and <c>secret</c> are looked
    /// for once, at the first <c>_</c> and the first <c>=</c> or <c>:</c>, and only there.</remarks>
    static bool MayContainSecret(string text)
    {
        ReadOnlySpan<char> span = text;
        bool underscoreSeen = false;
        bool separatorSeen = false;
        int i;
        for (int pos = 0; (i = span[pos..].IndexOfAny(SecretAnchors)) >= 0; pos++)
        {
            pos += i;
            ReadOnlySpan<char> rest = span[pos..];
            switch (span[pos])
            {
                case '-' when rest.StartsWith("-----BEGIN", StringComparison.Ordinal):
                case 'J' when pos >= 2 && span[pos - 2] == 'e' && span[pos - 1] == 'y':
                case 'A' when rest.StartsWith("AKIA", StringComparison.Ordinal) || rest.StartsWith("ASIA", StringComparison.Ordinal):
                    return true;
                case '_' when !underscoreSeen:
                    underscoreSeen = true;
                    if (span.Contains("gh", StringComparison.Ordinal))
                    {
                        return true;
                    }

                    break;
                case '=' or ':':
                    // "key=" and "sig=" end at this '='; no other character folds to '=' under OrdinalIgnoreCase.
                    if (span[pos] == '=' && pos >= 3
                        && (span.Slice(pos - 3, 3).Equals("key", StringComparison.OrdinalIgnoreCase)
                            || span.Slice(pos - 3, 3).Equals("sig", StringComparison.OrdinalIgnoreCase)))
                    {
                        return true;
                    }

                    if (!separatorSeen)
                    {
                        separatorSeen = true;
                        if (span.Contains("secret", StringComparison.OrdinalIgnoreCase))
                        {
                            return true;
                        }
                    }

                    break;
            }
        }

        return false;
    }

    static readonly System.Buffers.SearchValues<char> SecretAnchors = System.Buffers.SearchValues.Create("-JA_=:");

    /// <summary>Whole token for self-describing secrets; only the value for <c>name=value</c> forms, so the name
    /// (<c>AccountKey=</c>) stays as context.</summary>
    static bool ValidateSecret(ReadOnlySpan<char> match, out int start, out int length)
    {
        if (match.StartsWith("-----", StringComparison.Ordinal)
            || match.StartsWith("eyJ", StringComparison.Ordinal)
            || match.StartsWith("AKIA", StringComparison.Ordinal)
            || match.StartsWith("ASIA", StringComparison.Ordinal)
            || match.StartsWith("gh", StringComparison.Ordinal))
        {
            return Whole(match, out start, out length);
        }

        if (match.StartsWith("aws", StringComparison.OrdinalIgnoreCase))
        {
            (start, length) = (match.Length - 40, 40);
            return true;
        }

        start = match.IndexOf('=') + 1;
        length = match.Length - start;
        return length > 0;
    }

    [GeneratedRegex(
        """
        -----BEGIN[ A-Z0-9]*PRIVATE\ KEY-----(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE\ KEY-----|(?:\s{1,2}[A-Za-z0-9+/=]{16,})*)
        |\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*
        |\b(?:AKIA|ASIA)[A-Z0-9]{16}\b
        |\bgh[pousr]_[A-Za-z0-9]{36}\b
        |\bgithub_pat_[A-Za-z0-9_]{22,255}
        |\b(?i:aws_?secret[a-z_]*)["']?\s{0,3}[:=]\s{0,3}["']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])
        |(?i:\b(?:AccountKey|SharedAccessKey)=)[A-Za-z0-9+/]{20,}={0,2}
        |(?i:[?&]sig=)[A-Za-z0-9%+/=]{16,}
        """,
        Options | RegexOptions.IgnorePatternWhitespace,
        TimeoutMs)]
    private static partial Regex SecretRegex();

    // ---- e-mail ----

    /// <summary>E-mail addresses without a regex: from each <c>@</c>, widen left over the local part (up to 64 of
    /// <c>A-Z a-z 0-9 . _ % + -</c>, starting with a letter or digit) and right over the domain (dot-separated labels of
    /// letters, digits and hyphens, ending in a 2–24-letter top-level label). A regex for this starts at every letter
    /// and cost ten times more than the rest of the redactor.</summary>
    static (string Text, int Count) RedactEmails(string text)
    {
        StringBuilder? sb = null;
        int last = 0;
        int count = 0;
        int at;
        int pos = 0;
        while ((at = text.IndexOf('@', pos)) >= 0)
        {
            pos = at + 1;
            int start = at;
            while (start > last && IsLocalChar(text[start - 1]) && at - start <= 64)
            {
                start--;
            }

            if (at - start > 64)
            {
                continue;
            }

            while (start < at && !char.IsAsciiLetterOrDigit(text[start]))
            {
                start++;
            }

            int end = at + 1;
            while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] is '-' or '.'))
            {
                end++;
            }

            // A sentence may end right after the address.
            while (end > at + 1 && text[end - 1] == '.')
            {
                end--;
            }

            if (start == at || !IsDomain(text.AsSpan(at + 1, end - at - 1)))
            {
                continue;
            }

            sb ??= new StringBuilder(text.Length);
            sb.Append(text, last, start - last).Append(Placeholder(PiiKind.Email));
            last = end;
            pos = end;
            count++;
        }

        if (sb is null)
        {
            return (text, 0);
        }

        sb.Append(text, last, text.Length - last);
        return (sb.ToString(), count);

        static bool IsLocalChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '%' or '+' or '-';
    }

    /// <summary>At least two labels of 1–63 letters, digits or hyphens; the last one 2–24 letters.</summary>
    static bool IsDomain(ReadOnlySpan<char> domain)
    {
        int labels = 0;
        foreach (Range r in domain.Split('.'))
        {
            ReadOnlySpan<char> label = domain[r];
            if (label.IsEmpty || label.Length > 63)
            {
                return false;
            }

            labels++;
        }

        int dot = domain.LastIndexOf('.');
        ReadOnlySpan<char> tld = domain[(dot + 1)..];
        return labels >= 2 && tld.Length is >= 2 and <= 24 && !tld.ContainsAnyExcept(AsciiLetters);
    }

    static readonly System.Buffers.SearchValues<char> AsciiLetters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    // ---- IBAN ----

    [GeneratedRegex(@"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])", Options, TimeoutMs)]
    private static partial Regex IbanRegex();

    /// <summary>IBAN lengths by country (SWIFT IBAN registry). For a listed country exactly that many characters are
    /// taken, so a trailing capitalised word is not swallowed; others must pass mod-97 as a whole.</summary>
    static readonly Dictionary<string, int> IbanLengths = new(StringComparer.Ordinal)
    {
        ["AD"] = 24, ["AE"] = 23, ["AL"] = 28, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22,
        ["BH"] = 22, ["BR"] = 29, ["BY"] = 28, ["CH"] = 21, ["CR"] = 22, ["CY"] = 28, ["CZ"] = 24, ["DE"] = 22,
        ["DK"] = 18, ["DO"] = 28, ["EE"] = 20, ["EG"] = 29, ["ES"] = 24, ["FI"] = 18, ["FO"] = 18, ["FR"] = 27,
        ["GB"] = 22, ["GE"] = 22, ["GI"] = 23, ["GL"] = 18, ["GR"] = 27, ["GT"] = 28, ["HR"] = 21, ["HU"] = 28,
        ["IE"] = 22, ["IL"] = 23, ["IQ"] = 23, ["IS"] = 26, ["IT"] = 27, ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20,
        ["LB"] = 28, ["LC"] = 32, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20, ["LV"] = 21, ["MC"] = 27, ["MD"] = 24,
        ["ME"] = 22, ["MK"] = 19, ["MR"] = 27, ["MT"] = 31, ["MU"] = 30, ["NL"] = 18, ["NO"] = 15, ["PK"] = 24,
        ["PL"] = 28, ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22, ["SA"] = 24, ["SC"] = 31,
        ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["ST"] = 25, ["SV"] = 28, ["TL"] = 23, ["TN"] = 24,
        ["TR"] = 26, ["UA"] = 29, ["VA"] = 22, ["VG"] = 24, ["XK"] = 20,
    };

    static readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> IbanLengthOf =
        IbanLengths.GetAlternateLookup<ReadOnlySpan<char>>();

    static bool ValidateIban(ReadOnlySpan<char> match, out int start, out int length)
    {
        start = 0;
        int wanted = IbanLengthOf.TryGetValue(match[..2], out int l) ? l : -1;
        Span<char> iban = stackalloc char[34];
        int n = 0;
        length = 0;
        for (int i = 0; i < match.Length && n < 34 && (wanted < 0 || n < wanted); i++)
        {
            if (match[i] != ' ')
            {
                iban[n++] = match[i];
                length = i + 1;
            }
        }

        if (n < 15 || (wanted > 0 && n != wanted) || (wanted < 0 && length != match.Length))
        {
            return false;
        }

        return IbanChecksumIsValid(iban[..n]);
    }

    /// <summary>ISO 13616 / ISO 7064 mod 97-10: move the first four characters to the end, letters become 10..35, the number mod 97 is 1.</summary>
    public static bool IbanChecksumIsValid(ReadOnlySpan<char> iban)
    {
        int remainder = 0;
        for (int k = 0; k < iban.Length; k++)
        {
            char c = iban[(k + 4) % iban.Length];
            remainder = c switch
            {
                >= '0' and <= '9' => ((remainder * 10) + (c - '0')) % 97,
                >= 'A' and <= 'Z' => ((remainder * 100) + (c - 'A' + 10)) % 97,
                _ => -1,
            };
            if (remainder < 0)
            {
                return false;
            }
        }

        return remainder == 1;
    }

    // ---- payment cards ----

    // 13–19 digits run together, or grouped 4-4-4-x(-x) / 4-6-4(5) (Amex, Diners) with one consistent separator.
    [GeneratedRegex(
        @"(?<![0-9-])(?:[0-9]{13,19}|[0-9]{4}(?<s>[ -])[0-9]{4}\k<s>[0-9]{4}\k<s>[0-9]{1,4}(?:\k<s>[0-9]{1,3})?|[0-9]{4}(?<a>[ -])[0-9]{6}\k<a>[0-9]{4,5})(?![0-9]|[ -][0-9])",
        Options,
        TimeoutMs)]
    private static partial Regex CardRegex();

    static bool ValidateCard(ReadOnlySpan<char> match, out int start, out int length)
    {
        (start, length) = (0, match.Length);
        return LuhnIsValid(match);
    }

    /// <summary>The Luhn check over the digits of <paramref name="number"/> (separators ignored), 13–19 digits, not all equal.</summary>
    public static bool LuhnIsValid(ReadOnlySpan<char> number)
    {
        int sum = 0;
        int digits = 0;
        bool allSame = true;
        char first = '\0';
        for (int i = number.Length - 1; i >= 0; i--)
        {
            char c = number[i];
            if (c is < '0' or > '9')
            {
                continue;
            }

            first = digits == 0 ? c : first;
            allSame &= c == first;
            int d = c - '0';
            if ((digits & 1) == 1)
            {
                d *= 2;
                d -= d > 9 ? 9 : 0;
            }

            sum += d;
            digits++;
        }

        return digits is >= 13 and <= 19 && !allSame && sum % 10 == 0;
    }

    // ---- national ids ----

    [GeneratedRegex(
        """
        (?<![0-9-])(?!000|666|9[0-9]{2})[0-9]{3}-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![0-9-])
        |\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\ ?[0-9]{2}\ ?[0-9]{2}\ ?[0-9]{2}\ ?[A-D]\b
        """,
        Options | RegexOptions.IgnorePatternWhitespace,
        TimeoutMs)]
    private static partial Regex NationalIdRegex();

    // ---- IP addresses ----

    [GeneratedRegex(
        """
        (?<![\w.]|(?i:\bversion|\bver\.?|\brelease|\bbuild)\s)
          (?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])
          (?![\w]|\.[0-9])
        """,
        Options | RegexOptions.IgnorePatternWhitespace,
        TimeoutMs)]
    private static partial Regex Ipv4Regex();

    /// <summary>IPv6 without a regex: from each colon, widen over hex digits, colons and dots, then let
    /// <see cref="IPAddress"/> decide. A regex for this starts at every a–f letter and cost ten times more.</summary>
    static (string Text, int Count) RedactIpv6(string text)
    {
        StringBuilder? sb = null;
        int last = 0;
        int count = 0;
        int pos = 0;
        int colon;
        while ((colon = text.IndexOf(':', pos)) >= 0)
        {
            int start = colon;
            while (start > 0 && IsIpv6Char(text[start - 1]))
            {
                start--;
            }

            int end = colon;
            while (end < text.Length && IsIpv6Char(text[end]))
            {
                end++;
            }

            pos = end;
            bool insideWord = (start > 0 && IsWordChar(text[start - 1])) || (end < text.Length && IsWordChar(text[end]));
            if (insideWord || !IsIpv6(text.AsSpan(start, end - start), out int length))
            {
                continue;
            }

            sb ??= new StringBuilder(text.Length);
            sb.Append(text, last, start - last).Append(Placeholder(PiiKind.Ip));
            last = start + length;
            count++;
        }

        if (sb is null)
        {
            return (text, 0);
        }

        sb.Append(text, last, text.Length - last);
        return (sb.ToString(), count);

        static bool IsIpv6Char(char c) => char.IsAsciiHexDigit(c) || c is ':' or '.';
        static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
    }

    static bool IsIpv6(ReadOnlySpan<char> candidate, out int length)
    {
        // A sentence may end right after an address.
        candidate = candidate.TrimEnd('.');
        length = candidate.Length;
        int groups = 0;
        int hexDigits = 0;
        int colons = 0;
        for (int i = 0; i < candidate.Length; i++)
        {
            char c = candidate[i];
            colons += c == ':' ? 1 : 0;
            groups += c != ':' && (i == 0 || candidate[i - 1] == ':') ? 1 : 0;
            hexDigits += char.IsAsciiHexDigit(c) ? 1 : 0;
        }

        // Two colons, two groups and four hex digits at least, so "10:30", "::1", "std::" and "a::b" stay.
        return colons >= 2 && groups >= 2 && hexDigits >= 4 && length <= 45
            && IPAddress.TryParse(candidate, out IPAddress? address)
            && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    // ---- phones ----

    [GeneratedRegex(
        """
        (?<![\w+@/$€£¥.,-])
        (?:
            (?:\+|\b00)[1-9](?:[ .-]?\(?[0-9]\)?){8,14}
          | \(?0[1-9][0-9]{0,3}\)?(?:[ -]?[0-9]){6,10}
          | (?:\([2-9][0-9]{2}\)\ ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}
        )
        (?![\w@/]|[.,:-][0-9]|\s?%)
        """,
        Options | RegexOptions.IgnorePatternWhitespace,
        TimeoutMs)]
    private static partial Regex PhoneRegex();

    static bool ValidatePhone(ReadOnlySpan<char> match, out int start, out int length)
    {
        (start, length) = (0, match.Length);
        int digits = 0;
        foreach (char c in match)
        {
            digits += char.IsAsciiDigit(c) ? 1 : 0;
        }

        return digits is >= 9 and <= 15;
    }
}
