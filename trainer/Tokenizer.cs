using System.Text;

namespace GenAiServerless.Trainer;

/// <summary>Splits text into lower-case words and single punctuation marks, and joins them back.</summary>
public static class Tokenizer
{
    /// <summary>The tokens of <paramref name="text"/>: letter/digit runs (with inner apostrophes) and punctuation marks.</summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var word = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var innerApostrophe = c == '\'' && word.Length > 0 && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]);
            if (char.IsLetterOrDigit(c) || innerApostrophe)
            {
                word.Append(char.ToLowerInvariant(c));
                continue;
            }

            Flush(word, tokens);
            if (!char.IsWhiteSpace(c) && !char.IsControl(c))
            {
                tokens.Add(c.ToString());
            }
        }

        Flush(word, tokens);
        return tokens;
    }

    /// <summary>Joins tokens with spaces, except around punctuation that hugs its neighbour.</summary>
    public static string Detokenize(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var text = new StringBuilder();
        var glueNext = true;
        foreach (var token in tokens)
        {
            var hugsLeft = token.Length == 1 && ".,!?;:%)]}".Contains(token[0], StringComparison.Ordinal);
            if (!glueNext && !hugsLeft)
            {
                text.Append(' ');
            }

            text.Append(token);
            glueNext = token.Length == 1 && "([{$".Contains(token[0], StringComparison.Ordinal);
        }

        return text.ToString();
    }

    private static void Flush(StringBuilder word, List<string> tokens)
    {
        if (word.Length > 0)
        {
            tokens.Add(word.ToString());
            word.Clear();
        }
    }
}
