using System.ComponentModel.DataAnnotations;
using GenAiServerless.Training.Components;

namespace GenAiServerless.Training;

/// <summary>How training runs. Bound from <c>Training</c>; durations are <c>[d.]hh:mm:ss</c>.</summary>
public sealed class TrainingOptions
{
    /// <summary>GPU type wanted (T4, A100, H100), or empty for any.</summary>
    public string? GpuType { get; set; } = "T4";

    [Range(0, 1024)]
    public int MinGpuMemoryGb { get; set; } = 16;

    [Range(1, 64)]
    public int GpuCount { get; set; } = 1;

    /// <summary>Regions the data may be processed in (data residency); empty means any.</summary>
    public List<string> AllowedRegions { get; set; } = [];

    /// <summary>Compute time a run needs without interruption (drives the cost and deadline estimates).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "41.16:00:00")]
    public TimeSpan ExpectedDuration { get; set; } = TimeSpan.FromHours(1);

    [Range(typeof(TimeSpan), "00:00:00", "10:00:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(15);

    [Range(typeof(TimeSpan), "00:00:00", "02:00:00")]
    public TimeSpan RestartOverhead { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most wall-clock time a run may take; none when unset.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "41.16:00:00")]
    public TimeSpan? Deadline { get; set; }

    public decimal? BudgetUsd { get; set; } = 50m;

    public bool AllowSpot { get; set; } = true;

    [Range(0, 50)]
    public int RestartBudget { get; set; } = 3;

    /// <summary>Past the restart budget, or when spot can no longer meet the deadline, run on dedicated capacity
    /// instead of failing.</summary>
    public bool FallbackToDedicated { get; set; } = true;

    /// <summary>Off-peak: wait up to this long (durable timer) for an hour whose spot price history is cheaper; zero = never.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3.00:00:00")]
    public TimeSpan MaxPriceWait { get; set; }

    /// <summary>The least saving (share of the current price) worth waiting for.</summary>
    [Range(0.0, 1.0)]
    public double MinPriceSaving { get; set; } = 0.1;

    /// <summary>The first wait between two polls of a job; it doubles up to <see cref="MaxPollInterval"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Passed to every training job as <c>--key value</c> (a model's own take precedence). Empty by default: a
    /// bound dictionary keeps the keys of its default, so defaults here could never be removed by configuration.</summary>
    public Dictionary<string, string> Hyperparameters { get; set; } = [];

    /// <summary>Components beyond (or replacing) the shipped ones, by name (<see cref="TrainingComponents.BuiltIn"/>).</summary>
    public Dictionary<string, TrainingComponent> Components { get; set; } = [];

    /// <summary>The folder that holds the components (the build's <c>components/</c>; on Azure ML, its code asset).</summary>
    public string ComponentsFolder { get; set; } = Path.Combine(AppContext.BaseDirectory, "components");

    /// <summary>Per-model training: component and hyperparameters, by model name.</summary>
    public Dictionary<string, ModelTrainingOptions> Models { get; set; } = [];

    /// <summary>The component that trains <paramref name="model"/>.</summary>
    public string ComponentOf(string model) =>
        Models.TryGetValue(model, out ModelTrainingOptions? m) && !string.IsNullOrWhiteSpace(m.Component) ? m.Component : TrainingComponents.NGram;

    /// <summary>The hyperparameters of <paramref name="model"/>'s training jobs: the shared ones, the model's over them.</summary>
    public Dictionary<string, string> HyperparametersOf(string model)
    {
        var merged = new Dictionary<string, string>(Hyperparameters, StringComparer.Ordinal);
        if (Models.TryGetValue(model, out ModelTrainingOptions? m))
        {
            foreach ((string key, string value) in m.Hyperparameters)
            {
                merged[key] = value;
            }
        }

        return merged;
    }

    /// <summary>Every component by name: the shipped ones, with configured ones added or replacing them.</summary>
    public IReadOnlyDictionary<string, TrainingComponent> AllComponents()
    {
        var all = new Dictionary<string, TrainingComponent>(TrainingComponents.BuiltIn, StringComparer.Ordinal);
        foreach ((string name, TrainingComponent component) in Components)
        {
            all[name] = component;
        }

        return all;
    }
}
