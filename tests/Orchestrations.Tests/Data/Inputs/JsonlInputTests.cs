using GenAiServerless.Data.Inputs;
using static GenAiServerless.Tests.Orchestrations.Data.Inputs.InputTestFiles;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class JsonlInputTests
{
    private const string Lines = "{\"id\":\"a\",\"text\":\"first\"}\n\n  \r\n{\"id\":\"b\",\"text\":\"second\"}\r\n{\"text\":\"no newline at end\"}";

    [Fact]
    public async Task ReadAsync_Jsonl_YieldsEachLineWithItsNumberSkippingBlankLines()
    {
        List<SourceItem> items = await ReadAllAsync("in/drop.jsonl", Utf8(Lines));

        SourceRecord[] records = [.. items.Cast<SourceRecord>()];
        Assert.Equal([1L, 4L, 5L], records.Select(r => r.Position));
        Assert.Equal("{\"id\":\"b\",\"text\":\"second\"}", records[1].Json);
        Assert.Equal(records[1].Json, records[1].RawForQuarantine);
        Assert.All(records, r => Assert.Equal("in/drop.jsonl", r.File));
    }

    [Fact]
    public async Task ReadAsync_Utf8ByteOrderMark_IsDropped()
    {
        List<SourceItem> items = await ReadAllAsync("in/drop.jsonl", [0xEF, 0xBB, 0xBF, .. Utf8("{\"text\":\"x\"}\n")]);

        Assert.Equal("{\"text\":\"x\"}", Assert.IsType<SourceRecord>(Assert.Single(items)).Json);
    }

    [Fact]
    public async Task ReadAsync_GzipJsonl_YieldsTheSameRecordsAsPlain()
    {
        List<SourceItem> plain = await ReadAllAsync("in/drop.jsonl", Utf8(Lines));

        List<SourceItem> gzip = await ReadAllAsync("in/drop.jsonl.gz", Gzip(Utf8(Lines)), forwardOnly: true);

        Assert.Equal(plain.Select(i => (i.Position, ((SourceRecord)i).Json)), gzip.Select(i => (i.Position, ((SourceRecord)i).Json)));
        Assert.All(gzip, i => Assert.Equal("in/drop.jsonl.gz", i.File));
    }

    [Fact]
    public async Task ReadAsync_LargeGzipJsonl_ReadsEveryLine()
    {
        string text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{{\"id\":{i},\"text\":\"record number {i}\"}}\n"));

        List<SourceItem> items = await ReadAllAsync("in/big.gz", Gzip(Utf8(text)), forwardOnly: true);

        Assert.Equal(20_000, items.Count);
        Assert.Equal(20_000, items[^1].Position);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(2)]
    public async Task ReadAsync_TruncatedGzip_FileIsUnreadable(int divisor)
    {
        string text = string.Concat(Enumerable.Range(0, 5_000).Select(i => $"{{\"id\":{i},\"text\":\"record {i} {i * 7919 % 1000}\"}}\n"));
        byte[] whole = Gzip(Utf8(text));
        byte[] truncated = whole[..(whole.Length - whole.Length / divisor)];

        UnreadableFileException e = await ReadFailsAsync("in/drop.jsonl.gz", truncated);

        Assert.StartsWith("not a readable gzip file: ", e.Reason, StringComparison.Ordinal);
        Assert.Equal("in/drop.jsonl.gz", e.File);
    }

    [Fact]
    public async Task ReadAsync_GzipMissingOnlyItsTrailer_FileIsUnreadable()
    {
        byte[] whole = Gzip(Utf8(Lines));

        UnreadableFileException e = await ReadFailsAsync("in/drop.jsonl.gz", whole[..^8]);

        Assert.StartsWith("not a readable gzip file: ", e.Reason, StringComparison.Ordinal);
    }

    /// <summary>Records 0 to <paramref name="count"/> - 1 as JSON Lines.</summary>
    private static string Records(int count, int from = 0) =>
        string.Concat(Enumerable.Range(from, count).Select(i => $"{{\"id\":{i},\"text\":\"record {i} {i * 7919 % 1000}\"}}\n"));

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ReadAsync_ConcatenatedGzipMembers_ReadsTheRecordsOfEveryMember(int members)
    {
        // cat a.gz b.gz > all.gz: a member may end inside a line, which the next member finishes.
        string text = Records(3000);
        int[] cuts = [.. Enumerable.Range(0, members + 1).Select(m => text.Length * m / members + (m % members == 0 ? 0 : 5))];
        byte[] file = [.. Enumerable.Range(0, members).SelectMany(m => Gzip(Utf8(text[cuts[m]..cuts[m + 1]])))];

        List<SourceItem> items = await ReadAllAsync("in/all.jsonl.gz", file, forwardOnly: true);

        Assert.Equal(3000, items.Count);
        Assert.Equal(text, string.Concat(items.Select(i => ((SourceRecord)i).Json + "\n")));
    }

    /// <summary>A gzip member of no data: header, an empty final deflate block, CRC-32 0, length 0.</summary>
    private static readonly byte[] EmptyMember = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    [Fact]
    public async Task ReadAsync_ManySmallMembersWithHeaderFields_ReadsEveryRecord()
    {
        // bgzip writes small members with an extra field; gzip(1) keeps the file name; an empty member is valid too.
        byte[] file = [.. Enumerable.Range(0, 200).SelectMany(m => GzipMember(Utf8(Records(50, m * 50)), name: $"part{m}.jsonl", extra: Utf8("BC\u0002\0\0\0"), comment: m % 2 == 0 ? "even" : null)), .. EmptyMember];

        List<SourceItem> items = await ReadAllAsync("in/blocks.gz", file, forwardOnly: true);

        Assert.Equal(10_000, items.Count);
        Assert.Equal(Enumerable.Range(1, 10_000).Select(i => (long)i), items.Select(i => i.Position));
    }

    [Fact]
    public async Task ReadAsync_GzipFollowedByZeroPadding_ReadsTheRecords()
    {
        byte[] file = [.. Gzip(Utf8(Records(10))), .. Gzip(Utf8(Records(10, 10))), .. new byte[700]];

        List<SourceItem> items = await ReadAllAsync("in/padded.jsonl.gz", file, forwardOnly: true);

        Assert.Equal(20, items.Count);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(3)]
    [InlineData(200)]
    [InlineData(-5)]
    public async Task ReadAsync_SecondGzipMemberTruncated_FileIsUnreadable(int keep)
    {
        // keep > 0: that many bytes of the second member are left (inside its header, then its data); keep < 0: it
        // loses its last bytes (inside its trailer).
        byte[] first = Gzip(Utf8(Records(2000)));
        byte[] second = Gzip(Utf8(Records(2000, 2000)));
        byte[] file = [.. first, .. second[..(keep > 0 ? keep : second.Length + keep)]];

        UnreadableFileException e = await ReadFailsAsync("in/cut.jsonl.gz", file);

        Assert.StartsWith("not a readable gzip file: truncated", e.Reason, StringComparison.Ordinal);
        Assert.Contains("gzip member 2", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_FirstOfTwoMembersCorrupt_FileIsUnreadable()
    {
        byte[] first = GzipMember(Utf8(Records(100)));
        first[^6] ^= 0x40; // its CRC-32
        byte[] file = [.. first, .. Gzip(Utf8(Records(100, 100)))];

        UnreadableFileException e = await ReadFailsAsync("in/crc.jsonl.gz", file);

        Assert.StartsWith("not a readable gzip file: truncated or corrupt: ", e.Reason, StringComparison.Ordinal);
        Assert.Contains("gzip member 1 (from byte 0)", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04 })]
    [InlineData(new byte[] { 0, 0, 0, 7 })]
    [InlineData(new byte[] { 0x1F })]
    public async Task ReadAsync_GarbageAfterTheLastGzipMember_FileIsUnreadable(byte[] garbage)
    {
        byte[] member = Gzip(Utf8(Records(10)));

        UnreadableFileException e = await ReadFailsAsync("in/tail.jsonl.gz", [.. member, .. garbage]);

        Assert.StartsWith("not a readable gzip file: ", e.Reason, StringComparison.Ordinal);
        Assert.Contains($"byte {member.Length + garbage.AsSpan().IndexOfAnyExcept((byte)0)}", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_GzipExtensionOnPlainText_FileIsUnreadable()
    {
        UnreadableFileException e = await ReadFailsAsync("in/drop.jsonl.gz", Utf8(Lines));

        Assert.StartsWith("not a readable gzip file: ", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8Line_IsOneInvalidUtf8RecordAndTheOtherLinesAreRead()
    {
        byte[] bad = [.. Utf8("{\"text\":\"caf"), 0xE9, .. Utf8("\"}")];
        byte[] bytes = [.. Utf8("{\"text\":\"ok\"}\n"), .. bad, .. Utf8("\n{\"text\":\"after\"}\n")];

        List<SourceItem> items = await ReadAllAsync("in/latin1.jsonl", bytes);

        Assert.Equal([1L, 2L, 3L], items.Select(i => i.Position));
        Assert.IsType<SourceRecord>(items[0]);
        UnreadableRecord invalid = Assert.IsType<UnreadableRecord>(items[1]);
        Assert.Equal("invalid_utf8", invalid.Reason);
        Assert.Equal("line 2 is not valid UTF-8 text: byte 0xE9 at byte 13 of the record starts no valid character", invalid.Detail);
        Assert.Equal(bad, Convert.FromBase64String(invalid.RawBase64!));
        Assert.Equal("{\"text\":\"caf\uFFFD\"}", invalid.RawForQuarantine);
        Assert.Equal("{\"text\":\"after\"}", Assert.IsType<SourceRecord>(items[2]).Json);
    }

    [Fact]
    public async Task ReadAsync_TruncatedMultiByteCharacterAtTheEndOfALine_IsInvalidUtf8()
    {
        byte[] bytes = [.. Utf8("{\"text\":\"x\"} "), 0xE2, 0x82, .. Utf8("\n{\"text\":\"y\"}\n")];

        List<SourceItem> items = await ReadAllAsync("in/cut.jsonl", bytes);

        Assert.Equal("invalid_utf8", Assert.IsType<UnreadableRecord>(items[0]).Reason);
        Assert.IsType<SourceRecord>(items[1]);
    }

    [Fact]
    public async Task ReadAsync_Utf16File_FirstLineIsInvalidUtf8()
    {
        byte[] bytes = [.. System.Text.Encoding.Unicode.GetPreamble(), .. System.Text.Encoding.Unicode.GetBytes("{\"text\":\"x\"}\n")];

        List<SourceItem> items = await ReadAllAsync("in/utf16.jsonl", bytes);

        Assert.Equal("invalid_utf8", Assert.IsType<UnreadableRecord>(items[0]).Reason);
    }

    [Fact]
    public async Task ReadAsync_LineOverTheLimit_IsTooLargeRecordAndTheNextLinesAreRead()
    {
        string big = "{\"text\":\"" + new string('x', 5000) + "\"}";
        string text = "{\"text\":\"a\"}\n" + big + "\n{\"text\":\"b\"}\n";

        List<SourceItem> items = await ReadAllAsync("in/drop.jsonl", Utf8(text), new InputOptions { MaxRecordBytes = 1000 });

        Assert.Equal(3, items.Count);
        UnreadableRecord tooLarge = Assert.IsType<UnreadableRecord>(items[1]);
        Assert.Equal(2, tooLarge.Position);
        Assert.Equal("too_large", tooLarge.Reason);
        Assert.Contains($"line 2 has {big.Length} bytes; the limit is 1000", tooLarge.Detail, StringComparison.Ordinal);
        Assert.StartsWith("{\"text\":\"xxx", tooLarge.RawForQuarantine, StringComparison.Ordinal);
        Assert.Equal("{\"text\":\"b\"}", Assert.IsType<SourceRecord>(items[2]).Json);
        Assert.Equal(3, items[2].Position);
    }

    [Fact]
    public async Task ReadAsync_LinesLongerThanTheBuffer_AreReadWhole()
    {
        string line = "{\"text\":\"" + new string('y', 200_000) + "\"}";

        List<SourceItem> items = await ReadAllAsync("in/drop.jsonl", Utf8(line + "\n" + line), forwardOnly: true);

        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal(line, ((SourceRecord)i).Json));
    }
}
