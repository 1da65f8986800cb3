using GenAiServerless.Data.Inputs;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class InputFormatsTests
{
    [Theory]
    [InlineData("shop/drop.jsonl", InputFormat.Jsonl)]
    [InlineData("shop/drop.JSON", InputFormat.Jsonl)]
    [InlineData("shop/drop.jsonl.gz", InputFormat.JsonlGzip)]
    [InlineData("shop/drop.gz", InputFormat.JsonlGzip)]
    [InlineData("shop/drop.csv", InputFormat.Csv)]
    [InlineData("shop/drop.csv.gz", InputFormat.CsvGzip)]
    [InlineData("shop/part-0.parquet", InputFormat.Parquet)]
    public void Detect_KnownExtension_ReturnsFormat(string name, InputFormat expected)
    {
        Assert.Equal(expected, InputFormats.Detect(name));
    }

    [Fact]
    public void Detect_UnknownExtension_ThrowsNamingTheFileAndTheSupportedFormats()
    {
        var e = Assert.Throws<UnreadableFileException>(() => InputFormats.Detect("shop/notes.txt"));

        Assert.Equal("shop/notes.txt", e.File);
        Assert.Equal("not a supported input format: shop/notes.txt; use .jsonl, .jsonl.gz, .csv or .parquet", e.Reason);
    }

    [Fact]
    public async Task ReadAsync_UnknownExtension_FileIsUnreadable()
    {
        UnreadableFileException e = await InputTestFiles.ReadFailsAsync("shop/data.xlsx", [1, 2, 3]);

        Assert.StartsWith("not a supported input format: shop/data.xlsx", e.Reason, StringComparison.Ordinal);
        Assert.Equal(new GenAiServerless.Data.RejectedFile("shop/data.xlsx", e.Reason), e.ToRejectedFile());
    }
}
