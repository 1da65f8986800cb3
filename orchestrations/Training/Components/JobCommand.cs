using System.Text;

namespace GenAiServerless.Training.Components;

/// <summary>Turns a component's command template into the command a backend runs.</summary>
public static class JobCommand
{
    /// <summary>The placeholders a template may use.</summary>
    public static readonly IReadOnlyList<string> Placeholders = ["data", "out", "checkpoints", "model", "evalset", "prompts"];

    /// <summary>Replaces each <c>{name}</c> by <paramref name="value"/>(name) and appends the hyperparameters as
    /// <c>--key value</c> (ordinal key order, values shell-quoted).</summary>
    /// <exception cref="ArgumentException">The template names a placeholder this job has no value for, or an unknown one.</exception>
    public static string Render(string template, Func<string, string?> value, IReadOnlyDictionary<string, string> hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(hyperparameters);
        var command = new StringBuilder(template.Length + 64);
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf('{', i);
            if (open < 0)
            {
                command.Append(template, i, template.Length - i);
                break;
            }

            int close = template.IndexOf('}', open);
            command.Append(template, i, open - i);
            string name = close < 0 ? template[(open + 1)..] : template[(open + 1)..close];
            if (close < 0 || !Placeholders.Contains(name))
            {
                throw new ArgumentException($"command '{template}': unknown placeholder '{{{name}}}'; use {string.Join(", ", Placeholders.Select(p => $"{{{p}}}"))}");
            }

            command.Append(value(name) ?? throw new ArgumentException($"command '{template}': this job has no value for '{{{name}}}'"));
            i = close + 1;
        }

        foreach ((string key, string v) in hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new ArgumentException($"hyperparameter '{key}': names are letters, digits, '-' and '_'");
            }

            command.Append(" --").Append(key).Append(' ').Append(Quote(v));
        }

        return command.ToString();
    }

    /// <summary>A value as one POSIX shell word.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or '+' or ',')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
