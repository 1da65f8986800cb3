using GenAiServerless.Registry;
using GenAiServerless.Rollout;

namespace GenAiServerless.Pipeline;

/// <summary>The rollout's aliases on the model registry: the pipeline joins the two stages, neither knows the other.</summary>
public sealed class RegistryRolloutAliases(IModelRegistry registry) : IRolloutAliases
{
    public async Task MoveAsync(AliasMove move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(move);
        if (move.Previous is int previous)
        {
            await registry.SetAliasAsync(new AliasAssignment(move.Model, ModelAliases.Previous, previous), cancellationToken);
        }

        await registry.SetAliasAsync(new AliasAssignment(move.Model, ModelAliases.Champion, move.Champion), cancellationToken);
    }
}
