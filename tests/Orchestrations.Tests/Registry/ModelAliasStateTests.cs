using GenAiServerless.Registry;

namespace GenAiServerless.Tests.Orchestrations.Registry;

public sealed class ModelAliasStateTests
{
    static readonly DateTime Utc = new(2026, 12, 6, 10, 0, 0, DateTimeKind.Utc);

    /// <summary>v1 champion, v2 registered (challenger) and promoted: champion v2, previous v1, challenger v2.</summary>
    static ModelAliasState Promoted() => ModelAliasState.Empty
        .After(new AliasAssignment("m", ModelAliases.Champion, 1), Utc)
        .After(new AliasAssignment("m", ModelAliases.Challenger, 2), Utc)
        .After(new AliasAssignment("m", ModelAliases.Champion, 2), Utc);

    [Fact]
    public void Restored_RolledBackChallenger_NoAliasNamesItAnyMore()
    {
        ModelAliasState state = Promoted().Restored(new AliasRestore("m", 2, 1, null, "rollout", "v2 rolled back"), Utc);

        // `deploy --alias challenger` must not put a version the rollout rejected back on the endpoint.
        Assert.Empty(state.For(2));
        Assert.Equal([ModelAliases.Champion], state.For(1));
        Assert.Contains(state.History, m => m is { Alias: ModelAliases.Challenger, From: 2, To: null, Reason: "v2 rolled back" });
    }

    [Fact]
    public void Restored_ChallengerIsAnotherVersion_KeepsIt()
    {
        ModelAliasState state = Promoted()
            .After(new AliasAssignment("m", ModelAliases.Challenger, 3), Utc)
            .Restored(new AliasRestore("m", 2, 1, null), Utc);

        Assert.Equal(3, state.Aliases[ModelAliases.Challenger].Version);
        Assert.Equal(1, state.Aliases[ModelAliases.Champion].Version);
    }

    [Fact]
    public void Restored_Twice_SameStateAndHistory()
    {
        var restore = new AliasRestore("m", 2, 1, null);
        ModelAliasState once = Promoted().Restored(restore, Utc);

        Assert.Same(once, once.Restored(restore, Utc));
    }
}
