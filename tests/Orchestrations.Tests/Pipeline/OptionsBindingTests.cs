using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Pipeline;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Training.Components;
using GenAiServerless.Triggers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Tests.Orchestrations.Pipeline;

/// <summary>Every options class bound from configuration as the hosts bind it: the binder appends to a collection that
/// already holds items, so a bound collection with a non-empty default would double what configuration says.</summary>
public sealed class OptionsBindingTests
{
    static ServiceProvider Bind(string json)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(Flatten(json)).Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddPipelineServices();
        return services.BuildServiceProvider();
    }

    const string EveryCollection = """
        {
          "Pipeline": { "Models": [ "tinylm", "chat" ] },
          "Data": { "Models": { "chat": { "Shapes": [ "Messages" ], "MetadataFields": [ "lang" ] } } },
          "Training": { "AllowedRegions": [ "eastus" ], "Hyperparameters": { "steps": "10" } },
          "Rollout": { "TrafficSteps": [ 25, 100 ], "Analysis": { "QualityPrompts": [ "hello", "the model" ] } }
        }
        """;

    [Fact]
    public void Bind_EveryCollectionSetInConfiguration_HoldsExactlyWhatConfigurationSays()
    {
        using ServiceProvider provider = Bind(EveryCollection);

        Assert.Equal(["tinylm", "chat"], provider.GetRequiredService<IOptions<PipelineOptions>>().Value.Models);
        ModelDataOptions chat = provider.GetRequiredService<IOptions<DataOptions>>().Value.Models["chat"];
        Assert.Equal(["Messages"], chat.Shapes);
        Assert.Equal(["lang"], chat.MetadataFields);
        TrainingOptions training = provider.GetRequiredService<IOptions<TrainingOptions>>().Value;
        Assert.Equal(["eastus"], training.AllowedRegions);
        Assert.Equal(new Dictionary<string, string> { ["steps"] = "10" }, training.Hyperparameters);
        Assert.Equal([25, 100], provider.GetRequiredService<IOptions<RolloutOptions>>().Value.TrafficSteps);
        Assert.Equal(["hello", "the model"], provider.GetRequiredService<IOptions<RolloutOptions>>().Value.Analysis.QualityPrompts);
    }

    [Fact]
    public void Bind_RolloutAnalysisDefaults_PolicyCarriesThemAndFallsBackToTheProbePrompt()
    {
        using ServiceProvider provider = Bind("""{ "Rollout": { "ProbePrompt": "ping", "PromotionGrace": "00:10:00", "Analysis": { "Interval": "00:00:05" } } }""");

        RolloutPolicy policy = provider.GetRequiredService<PipelineRequestFactory>().Rollout();

        Assert.Equal(TimeSpan.FromMinutes(10), policy.PromotionGrace);
        Assert.Equal(new AnalysisPolicy(TimeSpan.FromSeconds(5), 20, 2, 0.02, 1.5, TimeSpan.FromMilliseconds(100), policy.Analysis!.QualityPrompts), policy.Analysis);
        Assert.Equal(["ping"], policy.Analysis.QualityPrompts);
    }

    [Fact]
    public void Bind_BadAnalysisSetting_FailsAtStartNamingIt()
    {
        using ServiceProvider provider = Bind("""{ "Rollout": { "Analysis": { "MaxErrorRateRatio": 0.5 } } }""");

        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RolloutOptions>>().Value);

        Assert.Contains("Rollout:Analysis:MaxErrorRateRatio must be at least 1 (was 0.5)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_QualitySettings_PolicyCarriesThem()
    {
        using ServiceProvider provider = Bind("""{ "Rollout": { "Analysis": { "MaxQualityRegression": 0.1, "QualitySamples": 4 } } }""");

        AnalysisPolicy analysis = provider.GetRequiredService<PipelineRequestFactory>().Rollout().Analysis!;

        Assert.Equal((0.1, 4), (analysis.MaxQualityRegression, analysis.QualitySamples));
    }

    [Theory]
    [InlineData("MaxQualityRegression", "-0.01", "Rollout:Analysis:MaxQualityRegression must be in [0, 10] (was -0.01)")]
    [InlineData("QualitySamples", "0", "Rollout:Analysis:QualitySamples must be between 1 and 1000 (was 0)")]
    public void Bind_BadQualitySetting_FailsAtStartNamingIt(string setting, string value, string expected)
    {
        using ServiceProvider provider = Bind($$"""{ "Rollout": { "Analysis": { "{{setting}}": {{value}} } } }""");

        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RolloutOptions>>().Value);

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_LocalAppSettings_RunsEachTrafficStepOnce()
    {
        string appsettings = File.ReadAllText(Path.Combine(RepositoryRoot(), "local", "appsettings.json"));
        using ServiceProvider provider = Bind(appsettings);

        Assert.Equal([10, 50, 100], provider.GetRequiredService<PipelineRequestFactory>().Rollout().TrafficSteps);
        Assert.Equal(["tinylm", "tinygpt"], provider.GetRequiredService<IOptions<PipelineOptions>>().Value.Models);
    }

    [Fact]
    public void Bind_LocalAppSettings_EachFamilyGetsOnlyOptionsItsTrainerKnows()
    {
        string appsettings = File.ReadAllText(Path.Combine(RepositoryRoot(), "local", "appsettings.json"));
        using ServiceProvider provider = Bind(appsettings);
        TrainingOptions training = provider.GetRequiredService<IOptions<TrainingOptions>>().Value;

        // The shared hyperparameters reach both trainers, so they hold only what both accept (n-gram's --order
        // would stop the PyTorch trainer with exit 2).
        Assert.Equal(["steps"], training.Hyperparameters.Keys);
        Assert.Equal(TrainingComponents.NGram, training.ComponentOf("tinylm"));
        Assert.Equal(TrainingComponents.CausalLm, training.ComponentOf("tinygpt"));
        Assert.Equal("100", training.HyperparametersOf("tinygpt")["steps"]);
    }

    [Theory]
    [InlineData("""{ "Pipeline": { "Models": [ "a" ] } }""")]
    [InlineData("""{ "Pipeline": { "Models": [ "a" ] }, "Rollout": { "TrafficSteps": [ 10, 50, 100 ] } }""")]
    public void Bind_DefaultsOrTheSameStepsAsTheDefaults_NeverDoubled(string json)
    {
        using ServiceProvider provider = Bind(json);

        Assert.Equal([10, 50, 100], provider.GetRequiredService<IOptions<RolloutOptions>>().Value.TrafficSteps);
        Assert.Empty(provider.GetRequiredService<IOptions<TrainingOptions>>().Value.Hyperparameters);
        Assert.Empty(provider.GetRequiredService<IOptions<TrainingOptions>>().Value.AllowedRegions);
        Assert.Equal(IndexPolicy.Default, provider.GetRequiredService<PipelineRequestFactory>().Data("a").Index);
    }

    [Fact]
    public void Bind_Durations_ReadAsTimeSpans()
    {
        using ServiceProvider provider = Bind("""
            { "Pipeline": { "Models": [ "a" ] }, "Training": { "PollInterval": "00:00:00.250", "MaxPriceWait": "06:00:00" },
              "Evaluation": { "ApprovalTimeout": "2.00:00:00" }, "Rollout": { "BakeTime": "00:00:05" },
              "Data": { "IndexRetention": "3.00:00:00", "IndexMaxSegments": 4 } }
            """);

        PipelineRequest request = provider.GetRequiredService<PipelineRequestFactory>().Create("a", PipelineTrigger.Schedule, [], "test");

        Assert.Equal(TimeSpan.FromMilliseconds(250), request.Training.PollInterval);
        Assert.Equal(TimeSpan.FromHours(6), request.Training.MaxPriceWait);
        Assert.Equal(TimeSpan.FromDays(2), request.Evaluation.ApprovalTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), request.Rollout.BakeTime);
        Assert.Equal(new IndexPolicy(4, TimeSpan.FromDays(3)), request.Data.Index);
    }

    /// <summary>JSON as the JSON configuration provider reads it: <c>Section:Key</c>, array items numbered.</summary>
    static Dictionary<string, string?> Flatten(string json)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Walk(System.Text.Json.JsonElement e, string path)
        {
            switch (e.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Object:
                    foreach (System.Text.Json.JsonProperty p in e.EnumerateObject())
                    {
                        Walk(p.Value, path.Length == 0 ? p.Name : $"{path}:{p.Name}");
                    }

                    break;
                case System.Text.Json.JsonValueKind.Array:
                    int i = 0;
                    foreach (System.Text.Json.JsonElement item in e.EnumerateArray())
                    {
                        Walk(item, $"{path}:{i++}");
                    }

                    break;
                default:
                    values[path] = e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString() : e.GetRawText();
                    break;
            }
        }

        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Walk(doc.RootElement, string.Empty);
        return values;
    }

    static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "GenAiServerless.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("not inside the repository");
    }
}
