using Microsoft.DurableTask;

namespace GenAiServerless.Rollout;

/// <summary>The registry's <c>champion</c> and <c>previous</c> before a promotion (null: no such alias).</summary>
public sealed record RolloutAliasState(int? Champion, int? Previous);

/// <summary>A promotion undone by a rollback: <c>champion</c> back to the version serving again (<paramref name="Champion"/>,
/// none on a first deployment) and <c>previous</c> to what it was before the rollout; <paramref name="RolledBack"/> is
/// the target of neither.</summary>
public sealed record AliasRollback(string Model, int RolledBack, int? Champion, int? Previous);

/// <summary>Reads the model's aliases before a promotion, so a rollback can put them back.</summary>
[DurableTask(nameof(ReadModelAliases))]
public sealed class ReadModelAliases(IRolloutAliases aliases) : TaskActivity<string, RolloutAliasState>
{
    public override Task<RolloutAliasState> RunAsync(TaskActivityContext context, string input) =>
        aliases.ReadAsync(input, CancellationToken.None);
}

/// <summary>Puts the model's aliases back after a rolled-back promotion.</summary>
[DurableTask(nameof(RestoreModelAliases))]
public sealed class RestoreModelAliases(IRolloutAliases aliases) : TaskActivity<AliasRollback, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, AliasRollback input)
    {
        await aliases.RestoreAsync(input, CancellationToken.None);
        return true;
    }
}
