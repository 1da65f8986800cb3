using GenAiServerless.Data.Inputs;

namespace GenAiServerless.Data;

/// <summary>Builds a model's <see cref="DataPolicy"/> from configuration; a setting that cannot work is an error naming
/// its configuration key.</summary>
public static class DataPolicies
{
    public static DataPolicy For(DataOptions options, string model)
    {
        ArgumentNullException.ThrowIfNull(options);
        var policy = new DataPolicy(options.ValidationFraction, options.TestFraction, options.MaxRecordChars, options.ShardRecords, options.QualityPreset, options.ShardBytes, ParquetOutput: options.ParquetOutput,
            Index: new IndexPolicy(options.IndexMaxSegments, options.IndexRetention));
        if (!options.Models.TryGetValue(model, out ModelDataOptions? m))
        {
            return policy;
        }

        string key = $"Data:Models:{model}";
        if (m.QualityPreset is not null && !DataQualityPresets.All.Contains(m.QualityPreset))
        {
            throw new ArgumentException($"{key}:QualityPreset '{m.QualityPreset}': use one of {string.Join(", ", DataQualityPresets.All)}");
        }

        RecordShapes shapes = RecordShapes.None;
        foreach (string shape in m.Shapes)
        {
            shapes |= Enum.TryParse(shape, ignoreCase: true, out RecordShapes s) && s != RecordShapes.None
                ? s
                : throw new ArgumentException($"{key}:Shapes: '{shape}' is not a record shape; use Text, PromptResponse or Messages");
        }

        var schema = new RecordSchema
        {
            Shapes = shapes == RecordShapes.None ? RecordShapes.Any : shapes,
            MetadataFields = [.. m.MetadataFields],
            MaxRecordBytes = m.MaxRecordBytes ?? RecordSchema.Default.MaxRecordBytes,
        };
        bool promptResponse = m.PromptColumn is not null || m.ResponseColumn is not null;
        if (promptResponse && (m.PromptColumn is null || m.ResponseColumn is null || m.TextColumn is not null))
        {
            throw new ArgumentException($"{key}: set TextColumn, or both PromptColumn and ResponseColumn");
        }

        CsvTextColumns columns = m.TextColumn is not null ? CsvTextColumns.TextIn(m.TextColumn)
            : promptResponse ? CsvTextColumns.PromptResponseIn(m.PromptColumn!, m.ResponseColumn!)
            : CsvTextColumns.Auto;
        char? separator = m.CsvSeparator switch
        {
            null => ',',
            "auto" => null,
            "\\t" or "tab" => '\t',
            { Length: 1 } one => one[0],
            _ => throw new ArgumentException($"{key}:CsvSeparator '{m.CsvSeparator}': one character, 'tab' or 'auto'"),
        };
        var inputs = new InputOptions
        {
            TextColumns = columns with { IdColumn = m.IdColumn ?? "id" },
            CsvSeparator = separator,
            MaxRecordBytes = Math.Max(InputOptions.Default.MaxRecordBytes, schema.MaxRecordBytes),
        };
        return policy with
        {
            QualityPreset = m.QualityPreset ?? policy.QualityPreset,
            MaxRecordChars = m.MaxRecordChars ?? policy.MaxRecordChars,
            Schema = schema,
            Inputs = inputs,
            ParquetOutput = m.ParquetOutput ?? policy.ParquetOutput,
        };
    }
}

/// <summary>Checks every <c>Data:Models:{model}</c> section at start-up (ranges, shapes, columns, separator, preset), so a
/// setting that cannot work stops the host naming its key instead of failing the model's first run.</summary>
public sealed class DataOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<DataOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, DataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach ((string model, ModelDataOptions settings) in options.Models)
        {
            var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(settings, new System.ComponentModel.DataAnnotations.ValidationContext(settings), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => $"Data:Models:{model}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
                continue;
            }

            try
            {
                _ = DataPolicies.For(options, model);
            }
            catch (ArgumentException e)
            {
                failures.Add(e.Message);
            }
        }

        return failures.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}
