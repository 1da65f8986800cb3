using System.Text.Json;
using GenAiServerless.Triggers;

namespace GenAiServerless.Tests.Orchestrations.Triggers;

/// <summary>Status must render every run, whatever its output: a failed or terminated run's output may be plain text.</summary>
public class StatusViewTests
{
    [Theory]
    [InlineData("rollout failed: deployment v3-abc did not answer")]
    [InlineData("cancelled")]
    [InlineData("{ not quite json")]
    public void ParseJson_TextThatIsNotJson_IsShownAsAJsonString(string text)
    {
        JsonElement? element = PipelineStarter.ParseJson(text);

        Assert.Equal(JsonValueKind.String, element!.Value.ValueKind);
        Assert.Equal(text, element.Value.GetString());
    }

    [Fact]
    public void ParseJson_Json_IsKeptAsJson()
    {
        JsonElement? element = PipelineStarter.ParseJson("""{"model":"shop","succeeded":false}""");

        Assert.Equal("shop", element!.Value.GetProperty("model").GetString());
    }

    [Fact]
    public void ParseJson_Nothing_IsNull() => Assert.Null(PipelineStarter.ParseJson(null));
}
