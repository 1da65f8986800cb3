using GenAiServerless.Registry;
using GenAiServerless.Rollout;

namespace GenAiServerless.Pipeline;

/// <summary>The rollout's aliases on the model registry: the pipeline joins the two stages, neither knows the other.</summary>
public sealed class RegistryRolloutAliases(IModelRegistry registry) : IRolloutAliases
{
    public async Task MoveAsync(AliasPromotion move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(move);
        if (move.Previous is int previous)
        {
            await registry.SetAliasAsync(new AliasAssignment(move.Model, ModelAliases.Previous, previous, "rollout", $"kept warm at 0 % after v{move.Champion} took the traffic"), cancellationToken);
        }

        await registry.SetAliasAsync(new AliasAssignment(move.Model, ModelAliases.Champion, move.Champion, "rollout", $"v{move.Champion} serves all traffic"), cancellationToken);
    }

    public async Task<RolloutAliasState> ReadAsync(string model, CancellationToken cancellationToken)
    {
        ModelAliasState state = await registry.GetAliasesAsync(model, cancellationToken);
        return new RolloutAliasState(
            state.Aliases.TryGetValue(ModelAliases.Champion, out AliasPointer? champion) ? champion.Version : null,
            state.Aliases.TryGetValue(ModelAliases.Previous, out AliasPointer? previous) ? previous.Version : null);
    }

    public Task RestoreAsync(AliasRollback rollback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollback);
        return registry.RestoreAliasesAsync(
            new AliasRestore(rollback.Model, rollback.RolledBack, rollback.Champion, rollback.Previous, "rollout", $"v{rollback.RolledBack} rolled back"), cancellationToken);
    }
}
