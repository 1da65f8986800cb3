using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using GenAiServerless.Platform;

namespace GenAiServerless.Pipeline;

/// <summary>Which models the pipeline serves. Bound from the <c>Pipeline</c> section.</summary>
public sealed class PipelineOptions
{
    /// <summary>Model names: lower-case letters, digits and dashes (they become container paths, job ids and endpoint names).</summary>
    [Required, MinLength(1)]
    public List<string> Models { get; set; } = [];

    public bool IsKnown(string model) => Models.Contains(model, StringComparer.Ordinal);

    /// <summary>The names that break the naming rule, for the start-up check.</summary>
    public IEnumerable<string> InvalidNames() => Models.Where(m => !ModelName().IsMatch(m));

    /// <summary>The naming rule (<see cref="ModelNames.Pattern"/>).</summary>
    public static Regex ModelName() => ModelNames.Pattern();
}
