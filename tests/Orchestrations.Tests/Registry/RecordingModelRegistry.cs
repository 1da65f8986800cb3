using GenAiServerless.Registry;

namespace GenAiServerless.Tests.Orchestrations.Registry;

/// <summary>Records alias moves and keeps the aliases as the blob registry moves them (champion moves previous, every
/// move in the history); the rollout needs nothing else from the registry.</summary>
internal sealed class RecordingModelRegistry : IModelRegistry
{
    private readonly Lock gate = new();
    private readonly List<AliasAssignment> aliases = [];
    private ModelAliasState state = ModelAliasState.Empty;

    public IReadOnlyList<AliasAssignment> Aliases { get { lock (gate) { return [.. aliases]; } } }

    /// <summary>Whether a move fails after the registry made it (as the Azure ML mirror does when its stage PUT fails).</summary>
    public Func<AliasAssignment, bool> FailsAfterMove { get; init; } = _ => false;

    public ModelAliasState State { get { lock (gate) { return state; } } }

    public Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            aliases.Add(assignment);
            if (!state.Aliases.TryGetValue(assignment.Alias, out AliasPointer? current) || current.Version != assignment.Version)
            {
                state = state.After(assignment, DateTime.UtcNow);
            }
        }

        return FailsAfterMove(assignment)
            ? throw new InvalidOperationException($"mirror unavailable after moving {assignment.Alias} of {assignment.Model} to v{assignment.Version}")
            : Task.CompletedTask;
    }

    public Task RestoreAliasesAsync(AliasRestore restore, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            state = state.Restored(restore, DateTime.UtcNow);
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

    public Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken) => Task.FromResult(State);

    public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("not used by these tests");
}
