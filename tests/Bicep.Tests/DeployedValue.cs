using System.Globalization;
using System.Text;

namespace GenAiServerless.Tests.Bicep;

/// <summary>Turns a snapshot's setting value into the string the app would see. Literals pass through; the
/// expressions left in a snapshot are over values that exist only after deployment, <c>reference(id).path</c>, and
/// those become clearly fake placeholders of a realistic shape (an https endpoint on the resource's own name, a GUID
/// of zeros…), combined by the few functions main.bicep applies to them (format, replace, concat, toLower);
/// <c>environment()</c> is the public cloud.</summary>
/// <remarks>An expression this cannot evaluate fails loudly, naming the setting, so a new kind of value gets a
/// placeholder here instead of passing unchecked.</remarks>
internal static class DeployedValue
{
    /// <summary>What a user-assigned identity's <c>clientId</c> stands for in the tests.</summary>
    public const string PlaceholderClientId = "00000000-0000-0000-0000-00000000c11d";

    public static string Resolve(string key, string value)
    {
        if (!value.StartsWith('[') || value.StartsWith("[[", StringComparison.Ordinal))
        {
            return value.StartsWith("[[", StringComparison.Ordinal) ? value[1..] : value;
        }

        try
        {
            var parser = new Parser(value[1..^1]);
            string result = parser.ParseExpression();
            parser.ExpectEnd();
            return result;
        }
        catch (FormatException e)
        {
            throw new FormatException($"App setting '{key}' = {value}: {e.Message}", e);
        }
    }

    /// <summary>The placeholder for <c>reference(resourceId).path</c>.</summary>
    private static string Placeholder(string resourceId, string path)
    {
        string name = resourceId[(resourceId.LastIndexOf('/') + 1)..];
        return path switch
        {
            "clientId" => PlaceholderClientId,
            "principalId" => "00000000-0000-0000-0000-0000000091d0",
            "primaryEndpoints.blob" => $"https://{name}.blob.core.windows.net/",
            "primaryEndpoints.queue" => $"https://{name}.queue.core.windows.net/",
            "primaryEndpoints.table" => $"https://{name}.table.core.windows.net/",
            "vaultUri" => $"https://{name}.vault.azure.net/",
            "serviceBusEndpoint" => $"https://{name}.servicebus.windows.net:443/",
            "ConnectionString" => "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://placeholder.in.applicationinsights.azure.com/",
            "defaultHostName" => $"{name}.azurewebsites.net",
            _ => throw new FormatException($"no placeholder for reference('{resourceId}').{path}; add one to {nameof(DeployedValue)}"),
        };
    }

    /// <summary>A recursive-descent reader of the ARM expressions a snapshot leaves: function calls, 'strings',
    /// integers and property paths after a call.</summary>
    private sealed class Parser(string text)
    {
        private int position;

        public string ParseExpression()
        {
            SkipSpaces();
            if (Peek() == '\'')
            {
                return ReadString();
            }

            if (char.IsDigit(Peek()))
            {
                int start = position;
                while (position < text.Length && char.IsDigit(text[position]))
                {
                    position++;
                }

                return text[start..position];
            }

            string function = ReadIdentifier();
            Expect('(');
            var arguments = new List<string>();
            SkipSpaces();
            if (Peek() != ')')
            {
                arguments.Add(ParseExpression());
                SkipSpaces();
                while (Peek() == ',')
                {
                    position++;
                    arguments.Add(ParseExpression());
                    SkipSpaces();
                }
            }

            Expect(')');
            string path = ReadPath();
            return function switch
            {
                "reference" => Placeholder(arguments[0], path.TrimStart('.')),
                // The public cloud, which the tests' resource names assume (the snapshot leaves environment() open).
                "environment" when path == ".suffixes.storage" => "core.windows.net",
                "resourceId" when path.Length == 0 && arguments.Count >= 4 && arguments[2].Contains('/', StringComparison.Ordinal) =>
                    $"/subscriptions/{arguments[0]}/resourceGroups/{arguments[1]}/providers/{arguments[2]}/{string.Join('/', arguments.Skip(3))}",
                "format" when path.Length == 0 => string.Format(CultureInfo.InvariantCulture, arguments[0], arguments.Skip(1).ToArray<object>()),
                "replace" when path.Length == 0 => arguments[0].Replace(arguments[1], arguments[2], StringComparison.Ordinal),
                "concat" when path.Length == 0 => string.Concat(arguments),
                "toLower" when path.Length == 0 => arguments[0].ToLowerInvariant(),
                _ => throw new FormatException($"cannot evaluate {function}(…){path}; add it to {nameof(DeployedValue)}"),
            };
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (position != text.Length)
            {
                throw new FormatException($"unexpected '{text[position..]}'");
            }
        }

        private string ReadString()
        {
            var builder = new StringBuilder();
            position++;
            while (true)
            {
                if (position >= text.Length)
                {
                    throw new FormatException("unterminated string");
                }

                char c = text[position++];
                if (c == '\'')
                {
                    if (Peek() != '\'')
                    {
                        return builder.ToString();
                    }

                    position++;
                }

                builder.Append(c);
            }
        }

        private string ReadIdentifier()
        {
            int start = position;
            while (position < text.Length && char.IsLetterOrDigit(text[position]))
            {
                position++;
            }

            return start == position ? throw new FormatException($"expected a function at '{text[start..]}'") : text[start..position];
        }

        private string ReadPath()
        {
            int start = position;
            while (position < text.Length && (text[position] == '.' || char.IsLetterOrDigit(text[position]) || text[position] == '_'))
            {
                position++;
            }

            return text[start..position];
        }

        private void Expect(char c)
        {
            SkipSpaces();
            if (Peek() != c)
            {
                throw new FormatException($"expected '{c}' at '{text[position..]}'");
            }

            position++;
        }

        private char Peek() => position < text.Length ? text[position] : '\0';

        private void SkipSpaces()
        {
            while (position < text.Length && text[position] == ' ')
            {
                position++;
            }
        }
    }
}
