using GenAiServerless.Data.Inputs;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class FolderDropTests
{
    private static readonly string[] Listing =
    [
        "shop/2026-05/part-10.jsonl",
        "shop/2026-05/part-2.jsonl",
        "shop/2026-05/_SUCCESS",
        "shop/2026-05/.part-2.jsonl.crc",
        "shop/2026-05/_temporary/0/part-3.jsonl",
        "shop/2026-05/lang=de/part-0.parquet",
        "shop/2026-05/notes.txt",
        "shop/2026-06/part-0.jsonl",
        "shop/2026-05-extra/part-0.jsonl",
    ];

    [Fact]
    public void FromListing_FolderWithSuccessMarker_IsCompleteWithItsDataFilesSortedOrdinally()
    {
        FolderDrop drop = FolderDrop.FromListing("shop/2026-05", Listing);

        Assert.True(drop.Complete);
        Assert.Equal("shop/2026-05/", drop.Folder);
        Assert.Equal(
            ["shop/2026-05/lang=de/part-0.parquet", "shop/2026-05/notes.txt", "shop/2026-05/part-10.jsonl", "shop/2026-05/part-2.jsonl"],
            drop.Files);
    }

    [Fact]
    public void FromListing_FolderWithoutSuccessMarker_IsIncomplete()
    {
        FolderDrop drop = FolderDrop.FromListing("shop/2026-06/", Listing);

        Assert.False(drop.Complete);
        Assert.Equal(["shop/2026-06/part-0.jsonl"], drop.Files);
    }

    [Fact]
    public void FromListing_MarkerOnly_IsCompleteWithNoFiles()
    {
        FolderDrop drop = FolderDrop.FromListing("empty", ["empty/_SUCCESS", "empty/_logs/x"]);

        Assert.True(drop.Complete);
        Assert.Empty(drop.Files);
    }

    [Theory]
    [InlineData("shop/2026-05/_SUCCESS", true, "shop/2026-05/")]
    [InlineData("_SUCCESS", true, "")]
    [InlineData("shop/2026-05/part-0.jsonl", false, "shop/2026-05/")]
    [InlineData("shop/2026-05/_SUCCESS.crc", false, "shop/2026-05/")]
    public void IsSuccessMarker_BlobName_TellsMarkerAndFolder(string blob, bool expected, string folder)
    {
        Assert.Equal(expected, FolderDrop.IsSuccessMarker(blob, out string actual));
        Assert.Equal(folder, actual);
    }

    [Theory]
    [InlineData("part-0.jsonl", false)]
    [InlineData("shop/2026-05/part-0.jsonl", false)]
    [InlineData("shop/2026-05/", false)]
    [InlineData("shop/my_data.jsonl", false)]
    [InlineData("", false)]
    [InlineData("_SUCCESS", true)]
    [InlineData("shop/.DS_Store", true)]
    [InlineData("shop/_temporary/0/part-0.jsonl", true)]
    [InlineData(".staging/b1/", true)]
    public void IsHidden_Path_TrueWhenAFileOrFolderStartsWithUnderscoreOrDot(string path, bool expected)
    {
        Assert.Equal(expected, FolderDrop.IsHidden(path));
    }
}
