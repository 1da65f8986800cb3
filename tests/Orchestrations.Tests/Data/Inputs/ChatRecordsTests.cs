using System.Text.Json;
using GenAiServerless.Data.Inputs;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class ChatRecordsTests
{
    private static string? Flatten(string json, out string? error) => ChatRecords.Flatten(JsonDocument.Parse(json).RootElement, out error);

    [Fact]
    public void Flatten_SystemUserAssistant_JoinsRoleAndContentLines()
    {
        string? text = Flatten("""[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi\nthere"},{"role":"assistant","content":"Hello."}]""", out string? error);

        Assert.Null(error);
        Assert.Equal("system: Be brief.\nuser: Hi\nthere\nassistant: Hello.", text);
    }

    [Theory]
    [InlineData("[]", "'messages' is empty")]
    [InlineData("\"hello\"", "'messages' must be an array of {\"role\", \"content\"} objects, found string")]
    [InlineData("""[{"role":"user","content":"a"},"b"]""", "message 1 must be an object with 'role' and 'content', found string")]
    [InlineData("""[{"content":"a"}]""", "message 0 has no 'role' string")]
    [InlineData("""[{"role":"user","content":"a"},{"role":"bot","content":"b"}]""", "message 1 has unknown role 'bot'; expected system, user, assistant")]
    [InlineData("""[{"role":"user","content":"a"},{"role":"assistant"}]""", "message 1 (assistant) has no 'content' string")]
    [InlineData("""[{"role":"user","content":7}]""", "message 0 (user) has no 'content' string")]
    [InlineData("""[{"role":"user","content":"  "}]""", "message 0 (user) has empty 'content'")]
    public void Flatten_InvalidMessages_ReturnsNullWithErrorNamingTheMessage(string messages, string expected)
    {
        string? text = Flatten(messages, out string? error);

        Assert.Null(text);
        Assert.Equal(expected, error);
    }
}
