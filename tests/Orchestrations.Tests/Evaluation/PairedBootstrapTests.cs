using GenAiServerless.Evaluation;

namespace GenAiServerless.Tests.Orchestrations.Evaluation;

public sealed class PairedBootstrapTests
{
    /// <summary>Examples of varied difficulty (bits spread widely between examples) where the challenger spends
    /// <paramref name="ratio"/> times the champion's bits, with small per-example noise.</summary>
    static List<PairedExample> Examples(double ratio, int n = 400, int seed = 3)
    {
        var random = new Random(seed);
        var list = new List<PairedExample>();
        for (int i = 0; i < n; i++)
        {
            long bytes = 50 + random.Next(500);
            double champion = bytes * (1 + 3 * random.NextDouble());
            list.Add(new PairedExample(champion * ratio * (1 + 0.02 * (random.NextDouble() - 0.5)), champion, bytes));
        }

        return list;
    }

    [Fact]
    public void Compare_ClearlyBetterChallenger_IntervalBelowZero()
    {
        PairedComparison c = PairedBootstrap.Compare(Examples(0.95), 0.95, 1000, 42);

        Assert.InRange(c.RelativeDifference, -0.051, -0.049);
        Assert.True(c.High < 0, $"[{c.Low}, {c.High}]");
        Assert.True(c.Low < c.RelativeDifference && c.RelativeDifference < c.High);
    }

    [Fact]
    public void Compare_EqualModels_IntervalContainsZero()
    {
        PairedComparison c = PairedBootstrap.Compare(Examples(1.0), 0.95, 1000, 42);

        Assert.True(c.Low < 0 && c.High > 0, $"[{c.Low}, {c.High}]");
    }

    [Fact]
    public void Compare_Pairing_IsFarNarrowerThanTheSpreadBetweenExamples()
    {
        // The examples differ by a factor of four in difficulty, the models by 2 % noise: a paired interval is narrow.
        PairedComparison c = PairedBootstrap.Compare(Examples(1.0), 0.95, 1000, 42);

        Assert.True(c.High - c.Low < 0.005, $"width {c.High - c.Low}");
    }

    [Fact]
    public void Compare_SameSeed_SameInterval()
    {
        List<PairedExample> examples = Examples(0.99);

        Assert.Equal(PairedBootstrap.Compare(examples, 0.9, 300, 5), PairedBootstrap.Compare(examples, 0.9, 300, 5));
        Assert.Equal(PairedBootstrap.SeedOf("shop-drop-1"), PairedBootstrap.SeedOf("shop-drop-1"));
        Assert.NotEqual(PairedBootstrap.SeedOf("shop-drop-1"), PairedBootstrap.SeedOf("shop-drop-2"));
    }

    [Fact]
    public void Compare_ReportsBitsPerByteOfBoth()
    {
        var examples = new List<PairedExample> { new(10, 20, 10), new(30, 20, 10) };

        PairedComparison c = PairedBootstrap.Compare(examples, 0.95, 100, 1);

        Assert.Equal(2.0, c.ChallengerBitsPerByte);
        Assert.Equal(2.0, c.ChampionBitsPerByte);
        Assert.Equal(0, c.RelativeDifference);
        Assert.Equal(2, c.Examples);
    }

    [Fact]
    public void Compare_NoExamples_Throws() =>
        Assert.Throws<ArgumentException>(() => PairedBootstrap.Compare([], 0.95, 100, 1));
}
