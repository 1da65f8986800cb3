using GenAiServerless.Training.Components;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Training;

/// <summary>Checks the components and per-model training at start-up: every model names a component that exists,
/// every component's commands use known placeholders, so a typo stops the host naming its key instead of failing the
/// model's first job.</summary>
public sealed class TrainingOptionsValidator : IValidateOptions<TrainingOptions>
{
    static readonly Dictionary<string, string> Sample = new(StringComparer.Ordinal) { ["data"] = "d", ["out"] = "o", ["checkpoints"] = "c", ["model"] = "m" };

    static bool IsClusterName(string name) =>
        name.Length is >= 2 and <= 16 && char.IsAsciiLetter(name[0]) && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-');

    public ValidateOptionsResult Validate(string? name, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        IReadOnlyDictionary<string, TrainingComponent> components = options.AllComponents();
        foreach ((string component, TrainingComponent c) in options.Components)
        {
            foreach ((string key, string command) in new[] { ("TrainCommand", c.TrainCommand), ("EvaluateCommand", c.EvaluateCommand) })
            {
                if (string.IsNullOrWhiteSpace(command))
                {
                    failures.Add($"Training:Components:{component}:{key} is empty");
                    continue;
                }

                try
                {
                    _ = JobCommand.Render(command, p => Sample[p], new Dictionary<string, string>());
                }
                catch (ArgumentException e)
                {
                    failures.Add($"Training:Components:{component}:{key}: {e.Message}");
                }
            }

            if (string.IsNullOrWhiteSpace(c.Environment))
            {
                failures.Add($"Training:Components:{component}:Environment is empty");
            }

            foreach ((string key, string? cluster) in new[] { ("Compute", c.Compute), ("DedicatedCompute", c.DedicatedCompute) })
            {
                if (cluster is not null && !IsClusterName(cluster))
                {
                    failures.Add($"Training:Components:{component}:{key} '{cluster}' is not an Azure ML compute name (2-16 letters, digits or '-', a letter first)");
                }
            }

            if (c.InstanceType is { } instanceType && (instanceType.Length == 0 || !instanceType.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_')))
            {
                failures.Add($"Training:Components:{component}:InstanceType '{instanceType}' is not a VM size (letters, digits and '_', like Standard_NC4as_T4_v3)");
            }
        }

        foreach ((string model, ModelTrainingOptions m) in options.Models)
        {
            if (m.Component is { } c && !components.ContainsKey(c))
            {
                failures.Add($"Training:Models:{model}:Component '{c}' is not a component; use one of {string.Join(", ", components.Keys)}");
            }
        }

        foreach ((string key, string _) in options.Hyperparameters.Concat(options.Models.Values.SelectMany(m => m.Hyperparameters)))
        {
            if (key.Length == 0 || !key.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
            {
                failures.Add($"Training:Hyperparameters: '{key}' is not a valid option name (letters, digits, '-' and '_')");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
