using GenAiServerless.Triggers;

namespace GenAiServerless.Tests.Orchestrations.Triggers;

public sealed class DriftCooldownTests
{
    static readonly DateTimeOffset Start = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
    static readonly TimeSpan Cooldown = TimeSpan.FromHours(6);

    [Fact]
    public void Allows_NoDriftRunYet_True()
    {
        Assert.True(DriftCooldownRecord.Allows(null, "run-b", Start, Cooldown));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(359, false)]
    [InlineData(360, true)]
    [InlineData(2000, true)]
    public void Allows_AnotherRunStartedEarlier_OnlyOnceTheCooldownHasPassed(int minutesLater, bool expected)
    {
        var last = new DriftCooldownRecord("run-a", Start);

        Assert.Equal(expected, DriftCooldownRecord.Allows(last, "run-b", Start.AddMinutes(minutesLater), Cooldown));
    }

    [Fact]
    public void Allows_TheRunThatHoldsIt_TrueAgain()
    {
        var last = new DriftCooldownRecord("run-a", Start);

        Assert.True(DriftCooldownRecord.Allows(last, "run-a", Start.AddMinutes(1), Cooldown));
    }
}
