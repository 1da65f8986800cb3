using System.Buffers;
using System.Text;

namespace GenAiServerless.Data;

/// <summary>Text normalisation applied to every record: Unicode NFKC, control characters dropped, whitespace collapsed
/// within each line; line breaks are kept (the line and paragraph rules of the quality filters need them), with runs
/// of blank lines squeezed to one and the text trimmed.</summary>
/// <remarks>Line ends: <c>\r\n</c> and a lone <c>\r</c> each count as one line break. One pass over a pooled buffer;
/// a text that is already normal (the usual case for clean records) is returned as is, without a copy.</remarks>
public static class TextNormalizer
{
    const int StackLimit = 1024;

    /// <summary>The characters of normal ASCII text: printable ASCII, the space and the line feed.</summary>
    static readonly SearchValues<char> NormalAscii = SearchValues.Create("\n !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsNormalAscii(text))
        {
            return text;
        }

        // ASCII text is its own NFKC form; the check is vectorised and skips the ICU call for most records.
        string nfkc = Ascii.IsValid(text) ? text : text.Normalize(NormalizationForm.FormKC);
        char[]? rented = null;
        Span<char> buffer = nfkc.Length <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(nfkc.Length));
        try
        {
            // The output is never longer than the input: every separator written replaces at least one character.
            int written = Collapse(nfkc, buffer);
            ReadOnlySpan<char> normal = buffer[..written];
            return normal.SequenceEqual(nfkc) ? nfkc : normal.ToString();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>True when <paramref name="text"/> is ASCII that <see cref="Collapse"/> would leave as is: only printable
    /// characters, single spaces and line feeds, at most one blank line in a row, no space next to a line break, nothing
    /// blank at either end.</summary>
    /// <remarks>A few vectorised scans instead of a copy and compare: most records are clean ASCII.</remarks>
    static bool IsNormalAscii(ReadOnlySpan<char> text) =>
        !text.IsEmpty
        && text[0] is not (' ' or '\n')
        && text[^1] is not (' ' or '\n')
        && !text.ContainsAnyExcept(NormalAscii)
        && !text.Contains("  ", StringComparison.Ordinal)
        && !text.Contains(" \n", StringComparison.Ordinal)
        && !text.Contains("\n ", StringComparison.Ordinal)
        && !text.Contains("\n\n\n", StringComparison.Ordinal);

    /// <summary>Writes <paramref name="text"/> with control characters dropped and whitespace collapsed into
    /// <paramref name="output"/>; returns the characters written.</summary>
    static int Collapse(ReadOnlySpan<char> text, Span<char> output)
    {
        int written = 0;
        int newlines = 0;
        bool pendingSpace = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];

            // Printable ASCII other than the space is by far the most common case and is always kept.
            if ((uint)(c - '!') > '~' - '!')
            {
                if (c is '\n' or '\r')
                {
                    // "\r\n" is one line break, as is a lone "\r".
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                    }

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
            }

            if (written > 0)
            {
                if (newlines > 0)
                {
                    output[written++] = '\n';
                    if (newlines > 1)
                    {
                        output[written++] = '\n';
                    }
                }
                else if (pendingSpace)
                {
                    output[written++] = ' ';
                }
            }

            newlines = 0;
            pendingSpace = false;
            output[written++] = c;
        }

        return written;
    }
}
