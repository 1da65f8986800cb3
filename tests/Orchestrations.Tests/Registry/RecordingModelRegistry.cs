using GenAiServerless.Registry;

namespace GenAiServerless.Tests.Orchestrations.Registry;

/// <summary>Records alias moves; the rollout needs nothing else from the registry.</summary>
internal sealed class RecordingModelRegistry : IModelRegistry
{
    private readonly Lock gate = new();
    private readonly List<AliasAssignment> aliases = [];

    public IReadOnlyList<AliasAssignment> Aliases { get { lock (gate) { return [.. aliases]; } } }

    public Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            aliases.Add(assignment);
        }

        return Task.CompletedTask;
    }

    public Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not used by these tests");

    public Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not used by these tests");

    public Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not used by these tests");

    public Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not used by these tests");

    public Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken) =>
        throw new NotSupportedException("not used by these tests");

    public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("not used by these tests");
}
