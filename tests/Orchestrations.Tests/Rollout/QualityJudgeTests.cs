using GenAiServerless.Rollout;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

public class QualityJudgeTests
{
    private const string Source = "the first 2 of curated/shop/_evalset/";

    /// <summary>Two texts of 100 and 300 bytes; the baseline scores them at 2 bits/byte overall.</summary>
    private static QualitySample[] Samples(double canaryBitsPerByte) =>
        [new(100, 100 * canaryBitsPerByte, 200), new(300, 300 * canaryBitsPerByte, 600)];

    [Theory]
    [InlineData(2.0, true)]   // equal
    [InlineData(1.5, true)]   // better
    [InlineData(2.1, true)]   // 5 % worse: at the limit
    [InlineData(2.102, false)] // just above it
    [InlineData(3.0, false)]
    public void Judge_WithBaseline_FailsWhenWorseByMoreThanTheLimit(double canaryBitsPerByte, bool passed)
    {
        (bool ok, QualityFigures figures) = QualityJudge.Judge("v5", "v4", Source, Samples(canaryBitsPerByte), 0.05);

        Assert.Equal(passed, ok);
        Assert.Equal((2, 2), (figures.Texts, figures.Paired));
        Assert.Equal(canaryBitsPerByte, figures.CanaryBitsPerByte!.Value, 9);
        Assert.Equal(2.0, figures.BaselineBitsPerByte!.Value, 9);
        Assert.Equal(canaryBitsPerByte / 2 - 1, figures.Regression!.Value, 9);
    }

    [Fact]
    public void Judge_Worse_DetailNamesBothFiguresAndTheLimit()
    {
        (bool ok, QualityFigures figures) = QualityJudge.Judge("v5", "v4", Source, Samples(2.5), 0.05);

        Assert.False(ok);
        Assert.Equal("quality probe: v5 2.5000 bits/byte vs v4 2.0000 over 2 texts (+25.0%, limit +5%)", figures.Detail);
    }

    [Fact]
    public void Judge_BitsPerByteIsTotalBitsOverTotalBytes_NotTheMeanOfRatios()
    {
        // 1 bit/byte on the short text, 3 on the long one: (100 + 900) / 400 = 2.5, not (1 + 3) / 2.
        QualitySample[] samples = [new(100, 100, 100), new(300, 900, 900)];
        (_, QualityFigures figures) = QualityJudge.Judge("v5", "v4", Source, samples, 0.05);

        Assert.Equal(2.5, figures.CanaryBitsPerByte!.Value, 9);
    }

    [Fact]
    public void Judge_NoBaseline_PassesWhenEveryTextIsScored()
    {
        (bool ok, QualityFigures figures) = QualityJudge.Judge("v1", null, Source, [new(100, 900, null), new(300, 2700, null)], 0.05);

        Assert.True(ok);
        Assert.Equal((9.0, (double?)null, 0), (figures.CanaryBitsPerByte!.Value, figures.BaselineBitsPerByte, figures.Paired));
        Assert.Equal("quality: v1 scored 2 texts, 9.0000 bits/byte (no baseline to compare with)", figures.Detail);
    }

    [Fact]
    public void Judge_CanaryCannotScoreAText_Fails()
    {
        (bool ok, QualityFigures figures) = QualityJudge.Judge("v5", "v4", Source, [new(100, 200, 200), new(300, null, 600, "HTTP 500")], 0.05);

        Assert.False(ok);
        Assert.Equal($"quality probe: v5 did not score text 2 of {Source}: HTTP 500", figures.Detail);
    }

    [Fact]
    public void Judge_BaselineScoredOnlySome_ComparesThePairsOnly()
    {
        // The canary is far worse on the text the baseline could not score: only the paired text counts.
        QualitySample[] samples = [new(100, 200, 200), new(300, 3000, null)];
        (bool ok, QualityFigures figures) = QualityJudge.Judge("v5", "v4", Source, samples, 0.05);

        Assert.True(ok);
        Assert.Equal((2, 1), (figures.Texts, figures.Paired));
        Assert.Contains("over the 1 of 2 texts v4 scored", figures.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_BaselineScoredNone_JudgesTheCanaryAlone()
    {
        // A baseline whose score.py predates loss requests answers each with an error.
        (bool ok, QualityFigures figures) = QualityJudge.Judge("v5", "v4", Source, [new(100, 900, null), new(300, 2700, null)], 0.05);

        Assert.True(ok);
        Assert.Equal("quality: v5 scored 2 texts, 9.0000 bits/byte (v4 scored none of them to compare with)", figures.Detail);
    }

    [Fact]
    public void Judge_NoTexts_Fails()
    {
        (bool ok, QualityFigures figures) = QualityJudge.Judge("v5", "v4", Source, [], 0.05);

        Assert.False(ok);
        Assert.StartsWith("quality probe: no texts to score", figures.Detail, StringComparison.Ordinal);
    }
}
