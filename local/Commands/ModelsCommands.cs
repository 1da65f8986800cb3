using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using GenAiServerless.Evaluation;
using GenAiServerless.Local.Stack;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Registry.Signing;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Local.Commands;

/// <summary>What every <c>genai models</c> command takes: where the registry is, and how to print.</summary>
public class ModelsSettings : CommandSettings
{
    [CommandOption("--home <DIR>")]
    [Description("The stack's home (default: .genai at the repository root, or GENAI_HOME): its stack.json names the storage, its keys/ the signing keys.")]
    public string? Home { get; init; }

    [CommandOption("--storage <CONNECTION_STRING>")]
    [Description("Read this storage instead of the running stack's.")]
    public string? Storage { get; init; }

    [CommandOption("--json")]
    [Description("Print one JSON document.")]
    public bool Json { get; init; }
}

/// <summary>A <c>genai models</c> command: opens the registry, runs, and turns what can go wrong with the input or the
/// storage (no running stack, an unknown version, storage unreachable) into a message and exit code 1.</summary>
public abstract class ModelsCommand<TSettings> : AsyncCommand<TSettings>
    where TSettings : ModelsSettings
{
    public sealed override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            return await RunAsync(RegistryAccess.Open(settings), settings, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or Azure.RequestFailedException or AggregateException)
        {
            Console.Error.WriteLine($"genai models: {e.Message}");
            return 1;
        }
    }

    internal abstract Task<int> RunAsync(RegistryAccess access, TSettings settings, CancellationToken cancellationToken);
}

/// <summary>The registry as the <c>genai models</c> commands see it: read straight from the stack's storage, with the
/// stack's key ring to verify signatures.</summary>
internal sealed class RegistryAccess
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    RegistryAccess(PipelineStorage storage, string home)
    {
        Storage = storage;
        var keys = new LocalKeyRing(Path.Combine(home, "keys"));
        Registry = new BlobModelRegistry(storage, keys, TimeProvider.System);
        Verifier = new ModelVersionVerifier(storage, keys);
    }

    public PipelineStorage Storage { get; }

    public BlobModelRegistry Registry { get; }

    public ModelVersionVerifier Verifier { get; }

    public static RegistryAccess Open(ModelsSettings settings)
    {
        if (Console.IsOutputRedirected)
        {
            // Into a pipe or a file, lines are not wrapped at a terminal's width: hashes and key ids stay whole.
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 240);
        }

        string home = settings.Home is null ? StackHome.Default() : Path.GetFullPath(settings.Home);
        string connection = settings.Storage ?? StackFile.Read(home).StorageConnectionString;
        return new RegistryAccess(new PipelineStorage(new BlobServiceClient(connection), new QueueServiceClient(connection)), home);
    }

    /// <summary>The models with anything in the registry (the container's top-level folders).</summary>
    public async Task<IReadOnlyList<string>> ModelsAsync(CancellationToken cancellationToken)
    {
        var models = new List<string>();
        BlobContainerClient container = Storage.Container(PipelineStorage.Registry);
        if (!await container.ExistsAsync(cancellationToken))
        {
            return models;
        }

        await foreach (BlobHierarchyItem item in container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }, cancellationToken))
        {
            if (item.IsPrefix)
            {
                models.Add(item.Prefix.TrimEnd('/'));
            }
        }

        return models;
    }

    public static string Aliases(ModelAliasState aliases, int version) => string.Join(", ", aliases.For(version));

    public static string Invariant(double? value, string format = "0.###") => value?.ToString(format, CultureInfo.InvariantCulture) ?? "-";
}

/// <summary><c>genai models list [model]</c>: the models in the registry, or one model's versions.</summary>
public sealed class ModelsListCommand : ModelsCommand<ModelsListCommand.Settings>
{
    public sealed class Settings : ModelsSettings
    {
        [CommandArgument(0, "[MODEL]")]
        [Description("A model: list its versions. Omitted: list the models.")]
        public string? Model { get; init; }
    }

    internal override async Task<int> RunAsync(RegistryAccess access, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Model is null)
        {
            var rows = new List<ModelSummary>();
            foreach (string model in await access.ModelsAsync(cancellationToken))
            {
                // One model whose records cannot be read is listed with the reason; it does not hide the others.
                try
                {
                    IReadOnlyList<ModelVersionInfo> versions = await access.Registry.ListVersionsAsync(model, cancellationToken);
                    ModelAliasState aliases = await access.Registry.GetAliasesAsync(model, cancellationToken);
                    rows.Add(new ModelSummary(model, versions.Count, versions.Count == 0 ? null : versions[^1].Version,
                        aliases.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary(a => a.Key, a => a.Value.Version)));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    rows.Add(new ModelSummary(model, 0, null, new Dictionary<string, int>(), $"unreadable: {e.Message}"));
                }
            }

            if (settings.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, RegistryAccess.Json));
                return 0;
            }

            var table = new Table().AddColumns("model", "versions", "latest", "aliases");
            foreach (ModelSummary row in rows)
            {
                table.AddRow(Markup.Escape(row.Model), row.Versions.ToString(CultureInfo.InvariantCulture), row.Latest is { } l ? $"v{l}" : "-",
                    Markup.Escape(row.Error ?? string.Join(", ", row.Aliases.Select(a => $"{a.Key} → v{a.Value}"))));
            }

            AnsiConsole.Write(rows.Count == 0 ? new Text("the registry is empty\n") : table);
            return 0;
        }

        IReadOnlyList<ModelVersionInfo> list = await access.Registry.ListVersionsAsync(settings.Model, cancellationToken);
        if (list.Count == 0)
        {
            Console.Error.WriteLine($"no versions of model '{settings.Model}' in the registry");
            return 1;
        }

        ModelAliasState state = await access.Registry.GetAliasesAsync(settings.Model, cancellationToken);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(list.Select(v => new VersionSummary(v.Version, v.CreatedUtc, v.RunId, v.Files?.Count ?? 0,
                v.Lineage?.GateVerdict, v.Signature?.KeyId, state.For(v.Version))), RegistryAccess.Json));
            return 0;
        }

        var versionsTable = new Table().AddColumns("version", "created (UTC)", "run", "files", "gate", "signed by", "aliases");
        foreach (ModelVersionInfo v in list)
        {
            versionsTable.AddRow($"v{v.Version}", v.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Markup.Escape(v.RunId),
                (v.Files?.Count ?? 0).ToString(CultureInfo.InvariantCulture), Markup.Escape(v.Lineage?.GateVerdict ?? "-"),
                Markup.Escape(v.Signature?.KeyId ?? "unsigned"), Markup.Escape(RegistryAccess.Aliases(state, v.Version)));
        }

        AnsiConsole.Write(versionsTable);
        return 0;
    }

    sealed record ModelSummary(string Model, int Versions, int? Latest, IReadOnlyDictionary<string, int> Aliases, string? Error = null);

    sealed record VersionSummary(int Version, DateTime CreatedUtc, string RunId, int Files, string? Gate, string? SignedBy, IReadOnlyList<string> Aliases);
}

/// <summary><c>genai models show model [version|alias]</c>: one version in full: files and hashes, lineage, the gate's
/// decision record, aliases, and the signature, verified.</summary>
public sealed class ModelsShowCommand : ModelsCommand<ModelsShowCommand.Settings>
{
    public sealed class Settings : ModelsSettings
    {
        [CommandArgument(0, "<MODEL>")]
        public string Model { get; init; } = string.Empty;

        [CommandArgument(1, "[VERSION_OR_ALIAS]")]
        [Description("A version number (3 or v3) or an alias (champion, previous, challenger…). Default: the champion, else the newest version.")]
        public string? Which { get; init; }

        [CommandOption("--version <N>")]
        [Description("The version number (instead of the argument).")]
        public int? Version { get; init; }

        public override ValidationResult Validate() =>
            Version is not null && Which is not null ? ValidationResult.Error("give the version as an argument or as --version, not both")
            : Version is < 1 ? ValidationResult.Error("--version must be 1 or more")
            : ValidationResult.Success();
    }

    internal override async Task<int> RunAsync(RegistryAccess access, Settings settings, CancellationToken cancellationToken)
    {
        (ModelVersionInfo? version, string asked) = await ResolveAsync(access.Registry, settings, cancellationToken);
        if (version is null)
        {
            Console.Error.WriteLine($"model '{settings.Model}' has no {asked}");
            return 1;
        }

        ModelAliasState aliases = await access.Registry.GetAliasesAsync(settings.Model, cancellationToken);
        VersionVerification verification = await access.Verifier.VerifyAsync(new ModelVersionCheck(version.Model, version.Version, version.FilesPrefix), cancellationToken);
        IReadOnlyList<AliasMove> history = [.. aliases.History.Where(m => m.To == version.Version || m.From == version.Version)];
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { version, aliases = aliases.For(version.Version), aliasHistory = history, verification }, RegistryAccess.Json));
            return 0;
        }

        Print(version, aliases.For(version.Version), history, verification);
        return 0;
    }

    static async Task<(ModelVersionInfo? Version, string Asked)> ResolveAsync(BlobModelRegistry registry, Settings settings, CancellationToken cancellationToken)
    {
        string? which = settings.Which;
        int? number = settings.Version;
        if (which is not null && int.TryParse(which.TrimStart('v'), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            number = n;
        }

        if (number is { } v)
        {
            return (await registry.GetVersionAsync(settings.Model, v, cancellationToken), $"version {v}");
        }

        if (which is not null)
        {
            return (await registry.GetAliasAsync(settings.Model, which, cancellationToken), $"alias '{which}'");
        }

        if (await registry.GetAliasAsync(settings.Model, ModelAliases.Champion, cancellationToken) is { } champion)
        {
            return (champion, "champion");
        }

        IReadOnlyList<ModelVersionInfo> all = await registry.ListVersionsAsync(settings.Model, cancellationToken);
        return (all.Count == 0 ? null : all[^1], "versions");
    }

    static void Print(ModelVersionInfo v, IReadOnlyList<string> aliases, IReadOnlyList<AliasMove> history, VersionVerification verification)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(v.Model)} v{v.Version}[/]{(aliases.Count > 0 ? $" ({Markup.Escape(string.Join(", ", aliases))})" : string.Empty)}");
        var facts = new Grid().AddColumn().AddColumn();
        void Fact(string name, string? value) => facts.AddRow(Markup.Escape(name), Markup.Escape(value ?? "-"));
        Fact("created (UTC)", v.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        Fact("run", v.RunId);
        Fact("training job", v.JobId);
        Fact("evaluation job", v.Lineage?.EvaluationJobId);
        Fact("data manifest", $"{v.DataManifestBlob} (SHA-256 {v.DataManifestSha256})");
        Fact("trainer", v.Lineage?.TrainerComponent);
        Fact("compute", v.Lineage?.Compute);
        Fact("hyperparameters", v.Lineage?.Hyperparameters is { Count: > 0 } h ? string.Join(", ", h.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")) : null);
        Fact("compared with", v.Lineage?.ComparedWithVersion is { } c ? $"v{c} (the champion at the gate)" : "no champion");
        Fact("metrics", string.Join(", ", v.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={RegistryAccess.Invariant(m.Value, "0.####")}")));
        Fact("files", v.FilesPrefix);
        AnsiConsole.Write(facts);

        var files = new Table().AddColumns("file", "bytes", "SHA-256");
        foreach (RegisteredFile f in v.Files ?? [])
        {
            files.AddRow(Markup.Escape(f.Path), f.Bytes.ToString(CultureInfo.InvariantCulture), f.Sha256);
        }

        AnsiConsole.Write(files);
        PrintGate(v.Lineage?.Gate?.Deserialize<GateDecision>(RegistryAccess.Json));

        AnsiConsole.MarkupLine("[bold]signature[/]");
        AnsiConsole.MarkupLine(v.Signature is { } s
            ? Markup.Escape($"  {s.Algorithm} by {s.KeyId}, manifest SHA-256 {s.ManifestSha256}, signed {s.SignedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC")
            : "  unsigned");
        AnsiConsole.MarkupLine((verification.Verified ? "  [green]verified[/]: " : "  [red]NOT verified[/]: ") + Markup.Escape(verification.Detail));

        if (history.Count > 0)
        {
            AnsiConsole.MarkupLine("[bold]alias history[/]");
            foreach (AliasMove m in history)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"  {m.Utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {m.Alias}: {(m.From is { } f ? $"v{f}" : "none")} → {(m.To is { } t ? $"v{t}" : "none")} by {m.By}{(m.Reason.Length > 0 ? $" ({m.Reason})" : string.Empty)}"));
            }
        }
    }

    static void PrintGate(GateDecision? gate)
    {
        AnsiConsole.MarkupLine("[bold]gate decision[/]");
        if (gate is null)
        {
            AnsiConsole.MarkupLine("  none recorded");
            return;
        }

        AnsiConsole.MarkupLine(Markup.Escape($"  verdict: {gate.Verdict} ({(gate.Passed ? "passed" : "failed")}){(gate.Approver is { } a ? $", approved by {a}" : string.Empty)}"));
        AnsiConsole.MarkupLine(Markup.Escape($"  challenger: test {RegistryAccess.Invariant(gate.Challenger.TestBitsPerByte)} bits/byte, eval set {RegistryAccess.Invariant(gate.Challenger.EvalBitsPerByte)} bits/byte on {gate.Challenger.Examples} examples, p95 latency {RegistryAccess.Invariant(gate.Challenger.P95LatencyMs, "0")} ms"));
        if (gate.Champion is { } champion)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"  champion v{gate.ChampionVersion}: test {RegistryAccess.Invariant(champion.TestBitsPerByte)} bits/byte, eval set {RegistryAccess.Invariant(champion.EvalBitsPerByte)} bits/byte"));
        }

        if (gate.Comparison is { } p)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"  paired difference on {p.Examples} examples: {p.RelativeDifference:+0.00%;-0.00%} [{p.Low:+0.00%;-0.00%}, {p.High:+0.00%;-0.00%}] at {p.Confidence:0%} ({p.Resamples} resamples, seed {p.Seed})"));
        }

        AnsiConsole.MarkupLine(Markup.Escape($"  safety: {gate.Safety.Toxic} of {gate.Safety.Generations} generations toxic, {gate.Safety.PiiLeaks} with personal data"));
        AnsiConsole.MarkupLine(Markup.Escape($"  policy: ≤ {RegistryAccess.Invariant(gate.Policy.MaxBitsPerByte)} bits/byte, {gate.Policy.Rule} with margin {gate.Policy.Margin:0.##%} at {gate.Policy.Confidence:0%}"));
        foreach (string reason in gate.Reasons)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"  - {reason}"));
        }
    }
}

/// <summary><c>genai models alias model alias version</c>: points an alias at a version (moving <c>champion</c> also
/// moves <c>previous</c>), recorded in the alias history with who and why. It moves the pointer only: <c>genai deploy</c>
/// changes what serves.</summary>
public sealed class ModelsAliasCommand : ModelsCommand<ModelsAliasCommand.Settings>
{
    public sealed class Settings : ModelsSettings
    {
        [CommandArgument(0, "<MODEL>")]
        public string Model { get; init; } = string.Empty;

        [CommandArgument(1, "<ALIAS>")]
        public string Alias { get; init; } = string.Empty;

        [CommandArgument(2, "<VERSION>")]
        [Description("The version number (3 or v3).")]
        public string Version { get; init; } = string.Empty;

        [CommandOption("--reason <TEXT>")]
        [Description("Why, for the alias history.")]
        public string? Reason { get; init; }

        [CommandOption("--by <NAME>")]
        [Description("Who, for the alias history (default: the user name).")]
        public string? By { get; init; }

        public int? Number => int.TryParse(Version.TrimStart('v'), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

        public override ValidationResult Validate() =>
            Number is null ? ValidationResult.Error($"'{Version}' is not a version number (e.g. 3 or v3)") : ValidationResult.Success();
    }

    internal override async Task<int> RunAsync(RegistryAccess access, Settings settings, CancellationToken cancellationToken)
    {
        await access.Registry.SetAliasAsync(
            new AliasAssignment(settings.Model, settings.Alias, settings.Number!.Value, settings.By ?? Environment.UserName, settings.Reason ?? "set with genai models alias"),
            cancellationToken);

        ModelAliasState state = await access.Registry.GetAliasesAsync(settings.Model, cancellationToken);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(state, RegistryAccess.Json));
            return 0;
        }

        Console.WriteLine($"{settings.Model}: {settings.Alias} → v{settings.Number}"
            + (settings.Alias == ModelAliases.Champion && state.Aliases.TryGetValue(ModelAliases.Previous, out AliasPointer? previous) ? $" (previous → v{previous.Version})" : string.Empty));
        return 0;
    }
}
