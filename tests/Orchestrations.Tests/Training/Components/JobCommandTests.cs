using GenAiServerless.Training;
using GenAiServerless.Training.Components;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Tests.Orchestrations.Training.Components;

public class JobCommandTests
{
    [Fact]
    public void Render_Placeholders_ReplacedAndHyperparametersAppendedInKeyOrderQuoted()
    {
        string command = JobCommand.Render(
            "ngram/genai-trainer train --data {data} --out {out} --checkpoints {checkpoints}",
            name => $"/jobs/{name}",
            new Dictionary<string, string> { ["steps"] = "10", ["base-model"] = "org/model v2", ["note"] = "it's" });

        Assert.Equal(
            "ngram/genai-trainer train --data /jobs/data --out /jobs/out --checkpoints /jobs/checkpoints --base-model 'org/model v2' --note 'it'\\''s' --steps 10",
            command);
    }

    [Fact]
    public void Render_UnknownPlaceholder_FailsNamingIt()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => JobCommand.Render("run {dataset}", _ => "x", new Dictionary<string, string>()));

        Assert.Contains("unknown placeholder '{dataset}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PlaceholderWithoutValueForThisJob_FailsNamingIt()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => JobCommand.Render("train --checkpoints {checkpoints}", _ => null, new Dictionary<string, string>()));

        Assert.Contains("no value for '{checkpoints}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HyperparameterNameThatIsNotAnOption_Fails() =>
        Assert.Throws<ArgumentException>(() => JobCommand.Render("train", _ => "x", new Dictionary<string, string> { ["steps; rm -rf /"] = "1" }));

    [Fact]
    public void Validator_ModelNamingAMissingComponentOrABadCommand_FailsNamingTheKeys()
    {
        var options = new TrainingOptions
        {
            Components = { ["mine"] = new TrainingComponent { TrainCommand = "run {data} {weights}", EvaluateCommand = "eval {model}", Environment = "env" } },
            Models = { ["shop"] = new ModelTrainingOptions { Component = "nope" } },
        };

        ValidateOptionsResult result = new TrainingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Training:Components:mine:TrainCommand", StringComparison.Ordinal) && f.Contains("{weights}", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Training:Models:shop:Component 'nope'", StringComparison.Ordinal));
    }

    [Fact]
    public void Options_ModelsComponentAndHyperparameters_ModelOverridesTheShared()
    {
        var options = new TrainingOptions
        {
            Hyperparameters = { ["steps"] = "10", ["seed"] = "1" },
            Models = { ["chat"] = new ModelTrainingOptions { Component = TrainingComponents.CausalLm, Hyperparameters = { ["steps"] = "200" } } },
        };

        Assert.Equal(TrainingComponents.CausalLm, options.ComponentOf("chat"));
        Assert.Equal(TrainingComponents.NGram, options.ComponentOf("other"));
        Assert.Equal(new Dictionary<string, string> { ["steps"] = "200", ["seed"] = "1" }, options.HyperparametersOf("chat"));
        Assert.True(new TrainingOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validator_ComponentComputeAndInstanceType_BadNamesFailNamingTheKey()
    {
        var options = new TrainingOptions
        {
            Components =
            {
                ["cpu"] = new TrainingComponent
                {
                    TrainCommand = "python train.py {data} {out}", EvaluateCommand = "python eval.py {model} {out}", Environment = "env",
                    Compute = "1-bad", DedicatedCompute = "cpu-dedicated-cluster-too-long", InstanceType = "Standard DS3",
                },
                ["ok"] = new TrainingComponent
                {
                    TrainCommand = "python train.py {data} {out}", EvaluateCommand = "python eval.py {model} {out}", Environment = "env",
                    Compute = "cpu-lowpri", DedicatedCompute = "cpu-dedicated", InstanceType = "Standard_DS3_v2",
                },
            },
        };

        ValidateOptionsResult result = new TrainingOptionsValidator().Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.StartsWith("Training:Components:cpu:Compute '1-bad'", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Training:Components:cpu:DedicatedCompute", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Training:Components:cpu:InstanceType 'Standard DS3'", StringComparison.Ordinal));
    }
}
