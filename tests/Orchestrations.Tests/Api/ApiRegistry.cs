using GenAiServerless.Registry;

namespace GenAiServerless.Tests.Orchestrations.Api;

/// <summary>The registry in memory: versions added by the test, aliases moved by the API.</summary>
sealed class ApiRegistry : IModelRegistry
{
    readonly Lock gate = new();
    readonly List<ModelVersionInfo> versions = [];
    readonly Dictionary<(string Model, string Alias), int> aliases = [];

    public void Add(string model, int version)
    {
        lock (gate)
        {
            versions.Add(new ModelVersionInfo(model, version, $"registry/{model}/runs/r{version}/files/", $"r{version}", $"j{version}", "data/manifest.json", "00", new Dictionary<string, double> { ["loss"] = 1.5 }, DateTime.UnixEpoch));
        }
    }

    public Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the API registers nothing");

    public Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            aliases[(assignment.Model, assignment.Alias)] = assignment.Version;
        }

        return Task.CompletedTask;
    }

    public Task RestoreAliasesAsync(AliasRestore restore, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the API restores no aliases");

    public Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(versions.FirstOrDefault(v => v.Model == model && v.Version == version));
        }
    }

    public Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(aliases.TryGetValue((model, aliasName), out int v) ? versions.FirstOrDefault(x => x.Model == model && x.Version == v) : null);
        }
    }

    public Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<ModelVersionInfo>>(versions.Where(v => v.Model == model).OrderBy(v => v.Version).ToList());
        }
    }

    public Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken) => Task.FromResult(ModelAliasState.Empty);

    public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<string>>(versions.Select(v => v.Model).Distinct().Order(StringComparer.Ordinal).ToList());
        }
    }
}
