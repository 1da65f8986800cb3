namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

/// <summary>Texts the quality tests start from.</summary>
internal static class SampleText
{
    /// <summary>Seven lines of ordinary prose (about 100 words) that every filter keeps with its published defaults.</summary>
    public const string Prose = """
        The river valley was settled by farmers who grew wheat and barley on the terraced slopes.
        Each spring the melting snow fed the streams that watered their fields and orchards.
        Traders arrived from the coast with salt, copper tools and bright woven cloth to exchange.
        Over several generations the small villages grew into market towns with stone bridges.
        Historians still argue about which family built the first mill beside the northern ford.
        Records kept by the monastery describe harsh winters, good harvests and a long drought.
        Today visitors can walk along the old trade road and read the carved milestones.
        """;

    public static string[] ProseLines => Prose.Split('\n');

    /// <summary><paramref name="count"/> distinct filler words ("filler0", "filler1", …) joined by spaces.</summary>
    public static string Filler(int count, string prefix = "filler") =>
        string.Join(' ', Enumerable.Range(0, count).Select(i => $"{prefix}{i}"));
}
