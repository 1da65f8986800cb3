using GenAiServerless.Data;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Pipeline;

namespace GenAiServerless.Tests.Orchestrations.Pipeline;

public class DataPoliciesTests
{
    [Fact]
    public void For_ModelWithoutSettings_TakesTheDataSection()
    {
        var options = new DataOptions { QualityPreset = DataQualityPresets.Documents, ShardBytes = 8 * 1024 * 1024 };

        DataPolicy policy = DataPolicies.For(options, "shop");

        Assert.Equal(DataQualityPresets.Documents, policy.QualityPreset);
        Assert.Equal(8 * 1024 * 1024, policy.ShardBytes);
        Assert.Null(policy.Schema);
        Assert.Null(policy.Inputs);
    }

    [Fact]
    public void For_ModelSettings_BuildSchemaColumnsAndPreset()
    {
        var options = new DataOptions
        {
            Models = new()
            {
                ["support-bot"] = new ModelDataOptions
                {
                    QualityPreset = DataQualityPresets.Off,
                    Shapes = ["PromptResponse", "messages"],
                    MetadataFields = ["lang"],
                    MaxRecordBytes = 4096,
                    PromptColumn = "question",
                    ResponseColumn = "answer",
                    IdColumn = "key",
                    CsvSeparator = "tab",
                },
            },
        };

        DataPolicy policy = DataPolicies.For(options, "support-bot");

        Assert.Equal(DataQualityPresets.Off, policy.QualityPreset);
        Assert.Equal(RecordShapes.PromptResponse | RecordShapes.Messages, policy.Schema!.Shapes);
        Assert.Equal(["lang"], policy.Schema.MetadataFields);
        Assert.Equal(4096, policy.Schema.MaxRecordBytes);
        Assert.Equal(CsvTextColumns.PromptResponseIn("question", "answer") with { IdColumn = "key" }, policy.Inputs!.TextColumns);
        Assert.Equal('\t', policy.Inputs.CsvSeparator);
        Assert.Null(DataPolicies.For(options, "other").Schema);
    }

    [Theory]
    [InlineData("Shapes", "Data:Models:m:Shapes: 'Essay' is not a record shape")]
    [InlineData("Columns", "Data:Models:m: set TextColumn, or both PromptColumn and ResponseColumn")]
    [InlineData("Separator", "Data:Models:m:CsvSeparator ';;'")]
    [InlineData("Preset", "Data:Models:m:QualityPreset 'Strict'")]
    public void For_SettingThatCannotWork_NamesItsKey(string what, string expected)
    {
        ModelDataOptions m = what switch
        {
            "Shapes" => new() { Shapes = ["Essay"] },
            "Columns" => new() { PromptColumn = "q" },
            "Separator" => new() { CsvSeparator = ";;" },
            _ => new() { QualityPreset = "Strict" },
        };

        ArgumentException e = Assert.Throws<ArgumentException>(() => DataPolicies.For(new DataOptions { Models = new() { ["m"] = m } }, "m"));

        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_BadModelSettings_FailsNamingEachKey()
    {
        var options = new DataOptions
        {
            Models = new()
            {
                ["a"] = new ModelDataOptions { MaxRecordChars = 0 },
                ["b"] = new ModelDataOptions { Shapes = ["Essay"] },
                ["c"] = new ModelDataOptions { TextColumn = "body" },
            },
        };

        Microsoft.Extensions.Options.ValidateOptionsResult result = new DataOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.StartsWith("Data:Models:a:MaxRecordChars", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Data:Models:b:Shapes: 'Essay'", StringComparison.Ordinal));
    }
}
