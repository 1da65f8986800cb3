using GenAiServerless.Rollout;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

/// <summary>The registry's <c>champion</c> and <c>previous</c> aliases in memory, with a move that can be made to fail.</summary>
internal sealed class InMemoryRolloutAliases(int? champion = null) : IRolloutAliases
{
    private readonly Lock gate = new();

    /// <summary>Whether a move fails (as a registry outage would, on every retry).</summary>
    public Func<AliasPromotion, bool> FailsWhen { get; init; } = _ => false;

    public int? Champion { get { lock (gate) { return champion; } } }

    public int? Previous { get; private set; }

    public Task MoveAsync(AliasPromotion move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(move);
        lock (gate)
        {
            if (FailsWhen(move))
            {
                throw new InvalidOperationException($"registry unavailable: cannot point champion of {move.Model} at v{move.Champion}");
            }

            Previous = move.Previous ?? Previous;
            champion = move.Champion;
        }

        return Task.CompletedTask;
    }

    public Task<RolloutAliasState> ReadAsync(string model, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(new RolloutAliasState(champion, Previous));
        }
    }

    public Task RestoreAsync(AliasRollback rollback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollback);
        lock (gate)
        {
            champion = rollback.Champion;
            Previous = rollback.Previous;
        }

        return Task.CompletedTask;
    }
}
