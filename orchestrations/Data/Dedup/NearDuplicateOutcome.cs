namespace GenAiServerless.Data.Dedup;

/// <summary>A record dropped as a near duplicate: the kept (or previously curated) record of its cluster, and the record
/// it was matched with directly.</summary>
/// <param name="DuplicateOf">The cluster's keeper: the record that stays in the data.</param>
/// <param name="EstimatedJaccard">The signature agreement with <paramref name="DuplicateOf"/> (the two may be joined
/// through other records).</param>
/// <param name="MatchedWith">The record this one was verified against (a near-duplicate pair); the keeper when they
/// were compared directly.</param>
public sealed record NearDuplicate(string Id, string DuplicateOf, double EstimatedJaccard, string MatchedWith = "")
{
    public string MatchedWith { get; init; } = MatchedWith.Length > 0 ? MatchedWith : DuplicateOf;
}

/// <summary>What <see cref="LshIndex.Deduplicate"/> decided for a drop, in (order, id) order.</summary>
/// <param name="CandidatePairs">Pairs that shared a band (with the drop or the index) and were compared.</param>
/// <param name="VerifiedPairs">Candidate pairs whose signatures agreed at or above the threshold.</param>
public sealed record NearDuplicateOutcome(IReadOnlyList<string> Kept, IReadOnlyList<NearDuplicate> Dropped, long CandidatePairs, long VerifiedPairs);
