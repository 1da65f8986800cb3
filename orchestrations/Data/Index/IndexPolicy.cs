namespace GenAiServerless.Data;

/// <summary>How the model's near-duplicate index is kept in storage (see <see cref="NearDuplicateStep"/>).</summary>
/// <param name="MaxSegments">The most segments a run's index manifest lists: a run that would leave more merges them all
/// into one new segment (compaction).</param>
/// <param name="Retention">How long a segment or a run's index manifest that the model's index no longer needs is kept
/// before it is deleted (by its last-modified time): what a run still in flight may need is younger than this.</param>
public sealed record IndexPolicy(int MaxSegments, TimeSpan Retention)
{
    public const int DefaultMaxSegments = 8;

    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(7);

    /// <summary>8 segments, kept 7 days once unreferenced.</summary>
    public static IndexPolicy Default { get; } = new(DefaultMaxSegments, DefaultRetention);

    /// <summary>Throws naming the field when the policy cannot work.</summary>
    public IndexPolicy Validate()
    {
        if (MaxSegments < 1)
        {
            throw new ArgumentException($"IndexPolicy.MaxSegments must be at least 1 (was {MaxSegments})");
        }

        if (Retention < TimeSpan.Zero)
        {
            throw new ArgumentException($"IndexPolicy.Retention must not be negative (was {Retention})");
        }

        return this;
    }
}
