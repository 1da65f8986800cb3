namespace GenAiServerless.Data.Dedup;

/// <summary>How signatures are banded and how candidate pairs are verified.</summary>
/// <remarks>
/// A pair of texts with Jaccard similarity s shares at least one band with probability 1 − (1 − s^rows)^bands.
/// The default 20 × 6 puts the S-curve's midpoint, (1/20)^(1/6) ≈ 0.61, well below 0.8 so that banding loses
/// almost nothing above it: 0.998 of pairs at s = 0.8, 0.92 at 0.7, 0.27 at 0.5. (16 × 8 would lose 5 % at 0.8.)
/// The candidates are then verified on all 128 values: the agreement estimate has a standard error of
/// √(s(1−s)/128) ≈ 0.035 at 0.8, so a cut at 0.75 keeps 92 % of pairs at exactly 0.8 and 99.9 % at 0.85 while
/// passing 11 % at 0.7 and under 1 % at 0.65. Unrelated texts (s ≈ 0) are never candidates.
/// </remarks>
/// <param name="Bands">Bands of <paramref name="Rows"/> signature values each; Bands × Rows ≤ 128.</param>
/// <param name="Rows">Signature values hashed together into one band key.</param>
/// <param name="VerifyThreshold">The least share of agreeing signature values (of 128) for a candidate pair to count as
/// near duplicates when only signatures are at hand (pairs with earlier drops).</param>
/// <param name="PrefilterThreshold">With exact verification: the least signature agreement for a pair to be checked
/// exactly (at J = 0.8 an estimate falls below 0.6 with probability &lt; 10⁻⁶).</param>
/// <param name="ExactThreshold">With exact verification: the least Jaccard similarity of the two texts' word 5-gram
/// sets for a pair to be near duplicates.</param>
public sealed record LshOptions(int Bands = 20, int Rows = 6, double VerifyThreshold = 0.75, double PrefilterThreshold = 0.6, double ExactThreshold = 0.8)
{
    /// <summary>The options every stage uses unless a model's policy says otherwise.</summary>
    public static LshOptions Default { get; } = new();

    /// <summary>Throws with the field and the reason when the options cannot work.</summary>
    public LshOptions Validate()
    {
        if (Bands < 1 || Rows < 1 || Bands * Rows > MinHasher.SignatureLength)
        {
            throw new ArgumentException($"LshOptions: Bands ({Bands}) × Rows ({Rows}) must be between 1 and {MinHasher.SignatureLength}");
        }

        if (VerifyThreshold is not (> 0 and <= 1))
        {
            throw new ArgumentException($"LshOptions.VerifyThreshold must be in (0, 1] (was {VerifyThreshold})");
        }

        return this;
    }

    /// <summary>The probability that a pair with Jaccard <paramref name="similarity"/> shares at least one band.</summary>
    public double CandidateProbability(double similarity) => 1 - Math.Pow(1 - Math.Pow(similarity, Rows), Bands);
}
