using GenAiServerless.Data.Dedup;

namespace GenAiServerless.Tests.Orchestrations.Data.Dedup;

public class UniformSortTests
{
    public static TheoryData<string, int> Inputs => new()
    {
        { "uniform", 0 }, { "uniform", 1 }, { "uniform", 24 }, { "uniform", 25 }, { "uniform", 1_000 }, { "uniform", 100_000 }, { "uniform", 300_000 },
        { "all equal", 50_000 }, { "clustered", 50_000 }, { "small values", 50_000 }, { "packed band keys", 80_000 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Sort_AnyInput_SameOrderAsArraySort(string shape, int count)
    {
        var random = new Random(count + shape.Length);
        ulong Next() => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        var keys = shape switch
        {
            "all equal" => Enumerable.Repeat(0xDEAD_BEEF_0000_0001UL, count).ToArray(),
            "clustered" => Enumerable.Range(0, count).Select(i => 0x8000_0000_0000_0000UL + (ulong)random.Next(1000)).ToArray(),
            "small values" => Enumerable.Range(0, count).Select(_ => (ulong)random.Next(1 << 20)).ToArray(),
            "packed band keys" => Enumerable.Range(0, count).Select(i => (Next() >> 17 << 17) | (uint)i).Concat(Enumerable.Repeat(0x1234_5678_0000_0000UL, 40)).ToArray(),
            _ => Enumerable.Range(0, count).Select(_ => Next()).ToArray(),
        };
        var expected = (ulong[])keys.Clone();
        Array.Sort(expected);

        UniformSort.Sort(keys, new ulong[keys.Length]);

        Assert.Equal(expected, keys);
    }
}
