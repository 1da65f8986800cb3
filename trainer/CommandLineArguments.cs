using System.Globalization;

namespace GenAiServerless.Trainer;

/// <summary>A command line the user got wrong; the message says which option and why.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The <c>--name value</c> options of one command, checked against the names it accepts.</summary>
internal sealed class CommandLineArguments
{
    private readonly string command;
    private readonly Dictionary<string, string> values;

    private CommandLineArguments(string command, Dictionary<string, string> values)
    {
        this.command = command;
        this.values = values;
    }

    public static CommandLineArguments Parse(string command, IReadOnlyList<string> args, params string[] accepted)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || !accepted.Contains(name[2..]))
            {
                throw new UsageException($"{command}: unknown option '{name}'; accepted: {string.Join(", ", accepted.Select(a => "--" + a))}");
            }

            if (i + 1 >= args.Count)
            {
                throw new UsageException($"{command}: option '{name}' needs a value");
            }

            if (!values.TryAdd(name[2..], args[i + 1]))
            {
                throw new UsageException($"{command}: option '{name}' is given twice");
            }
        }

        return new CommandLineArguments(command, values);
    }

    public string Required(string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new UsageException($"{command}: option '--{name}' is required");

    public string? Optional(string name) =>
        !values.TryGetValue(name, out var value) ? null
        : value.Length > 0 ? value
        : throw new UsageException($"{command}: option '--{name}' needs a value");

    public int Integer(string name, int fallback, int minimum)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= minimum
            ? value
            : throw new UsageException($"{command}: option '--{name}' must be an integer >= {minimum}, got '{text}'");
    }

    public double PositiveNumber(string name, double fallback)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new UsageException($"{command}: option '--{name}' must be a positive number, got '{text}'");
    }
}
