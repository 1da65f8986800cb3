using GenAiServerless.Triggers;

namespace GenAiServerless.Tests.Orchestrations.Triggers;

public class InstanceIdsTests
{
    [Fact]
    public void ForDrop_SameInput_SameId()
    {
        Assert.Equal(InstanceIds.ForDrop("shop", "shop/a.jsonl", "0x8DC1"), InstanceIds.ForDrop("shop", "shop/a.jsonl", "0x8DC1"));
        Assert.StartsWith("shop-drop-", InstanceIds.ForDrop("shop", "shop/a.jsonl", "0x8DC1"), StringComparison.Ordinal);
    }

    [Fact]
    public void ForDrop_QuotedAndBareETag_SameId()
    {
        Assert.Equal(InstanceIds.ForDrop("shop", "shop/a.jsonl", "\"0x8DC1\""), InstanceIds.ForDrop("shop", "shop/a.jsonl", "0x8DC1"));
    }

    [Fact]
    public void ForDrop_DifferentBlobOrETag_DifferentIds()
    {
        string id = InstanceIds.ForDrop("shop", "shop/a.jsonl", "0x8DC1");

        Assert.NotEqual(id, InstanceIds.ForDrop("shop", "shop/b.jsonl", "0x8DC1"));
        Assert.NotEqual(id, InstanceIds.ForDrop("shop", "shop/a.jsonl", "0x8DC2"));
    }

    [Fact]
    public void ForSchedule_SameSlotInAnyOffset_SameId()
    {
        var utc = new DateTimeOffset(2025, 6, 1, 2, 0, 0, TimeSpan.Zero);

        Assert.Equal("shop-sched-202506010200", InstanceIds.ForSchedule("shop", utc));
        Assert.Equal(InstanceIds.ForSchedule("shop", utc), InstanceIds.ForSchedule("shop", utc.ToOffset(TimeSpan.FromHours(2))));
    }

    [Fact]
    public void ForDriftAlert_SameAlert_SameIdAndDifferentAlertsDiffer()
    {
        Assert.Equal(InstanceIds.ForDriftAlert("shop", "alert-1"), InstanceIds.ForDriftAlert("shop", "alert-1"));
        Assert.NotEqual(InstanceIds.ForDriftAlert("shop", "alert-1"), InstanceIds.ForDriftAlert("shop", "alert-2"));
    }

    [Fact]
    public void ForDeployment_SameRequestIdSameId_OtherRequestIdOtherId()
    {
        Assert.Equal(InstanceIds.ForDeployment("shop", 4, "r1"), InstanceIds.ForDeployment("shop", 4, "r1"));
        Assert.NotEqual(InstanceIds.ForDeployment("shop", 4, "r1"), InstanceIds.ForDeployment("shop", 4, "r2"));
        Assert.StartsWith("shop-deploy-v4-", InstanceIds.ForDeployment("shop", 4, "r1"), StringComparison.Ordinal);
    }
}
