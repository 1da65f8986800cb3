using System.Text;

namespace GenAiServerless.Data;

/// <summary>Text normalisation applied to every record: Unicode NFKC, control characters dropped, whitespace collapsed
/// within each line; line breaks are kept (the line and paragraph rules of the quality filters need them), with runs
/// of blank lines squeezed to one and the text trimmed.</summary>
public static class TextNormalizer
{
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string nfkc = text.Normalize(NormalizationForm.FormKC).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var sb = new StringBuilder(nfkc.Length);
        int newlines = 0;
        bool pendingSpace = false;
        foreach (char c in nfkc)
        {
            if (c == '\n')
            {
                newlines++;
                pendingSpace = false;
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (char.IsControl(c))
            {
                continue;
            }

            if (sb.Length > 0)
            {
                if (newlines > 0)
                {
                    sb.Append(newlines > 1 ? "\n\n" : "\n");
                }
                else if (pendingSpace)
                {
                    sb.Append(' ');
                }
            }

            newlines = 0;
            pendingSpace = false;
            sb.Append(c);
        }

        return sb.ToString();
    }
}
