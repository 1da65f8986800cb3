using System.Text.Json;
using GenAiServerless.Data.Inputs;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class RecordSchemaTests
{
    private static (bool Valid, string Reason) Validate(RecordSchema schema, string json)
    {
        bool valid = schema.Validate(JsonDocument.Parse(json).RootElement, out string reason);
        return (valid, reason);
    }

    [Theory]
    [InlineData("""{"id":"a","text":"hello"}""")]
    [InlineData("""{"id":7,"prompt":"q","response":"a"}""")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}""")]
    public void Validate_DefaultSchemaAnyShape_IsValid(string json)
    {
        Assert.Equal((true, ""), Validate(RecordSchema.Default, json));
    }

    [Theory]
    [InlineData("[1]", "not_an_object: expected a JSON object, found array")]
    [InlineData("""{"title":"x"}""", "missing_text: field any of 'text' or 'prompt'+'response' or 'messages' is missing, empty or not a string")]
    [InlineData("""{"prompt":"q"}""", "missing_text: field 'response' is missing, empty or not a string")]
    [InlineData("""{"text":"  "}""", "missing_text: field any of 'text' or 'prompt'+'response' or 'messages' is missing, empty or not a string")]
    [InlineData("""{"messages":[]}""", "invalid_messages: 'messages' is empty")]
    [InlineData("""{"messages":[{"role":"robot","content":"x"}]}""", "invalid_messages: message 0 has unknown role 'robot'; expected system, user, assistant")]
    [InlineData("""{"id":"","text":"x"}""", "invalid_id: field 'id' must be a non-empty string or a number, found string")]
    [InlineData("""{"id":{"a":1},"text":"x"}""", "invalid_id: field 'id' must be a non-empty string or a number, found object")]
    public void Validate_BadRecord_GivesReasonCodeAndDetail(string json, string expected)
    {
        Assert.Equal((false, expected), Validate(RecordSchema.Default, json));
    }

    [Theory]
    [InlineData("""{"text":""}""", false)]
    [InlineData("""{"text":" \t\n\r "}""", false)]
    [InlineData("""{"text":"\u00a0\u3000"}""", false)]
    [InlineData("""{"text":"　  "}""", false)]
    [InlineData("""{"text":" \u0041"}""", true)]
    [InlineData("""{"text":"  é"}""", true)]
    [InlineData("""{"text":"  x  "}""", true)]
    public void Validate_WhiteSpaceOnlyTextInAnySpelling_IsMissingText(string json, bool valid)
    {
        Assert.Equal(valid, Validate(RecordSchema.Default, json).Valid);
    }

    [Fact]
    public void Validate_ShapeTheModelDoesNotTake_IsWrongShape()
    {
        var schema = new RecordSchema { Shapes = RecordShapes.PromptResponse };

        Assert.Equal(
            (false, "wrong_shape: the record has 'text'; this model takes 'prompt'+'response'"),
            Validate(schema, """{"text":"hello"}"""));
        Assert.True(Validate(schema, """{"prompt":"q","response":"a"}""").Valid);
    }

    [Fact]
    public void Validate_RecordOverTheSizeLimit_IsTooLarge()
    {
        var schema = new RecordSchema { MaxRecordBytes = 20 };
        string json = """{"text":"é twelve chars"}""";

        Assert.Equal((false, "too_large: the record has 26 bytes; the limit is 20"), Validate(schema, json));
        Assert.True(Validate(schema with { MaxRecordBytes = 26 }, json).Valid);
    }

    [Fact]
    public void Validate_NestedMetadataField_IsInvalidMetadata()
    {
        var schema = new RecordSchema { MetadataFields = ["lang", "source"] };

        Assert.True(Validate(schema, """{"text":"x","lang":"en","source":null,"other":{"deep":1}}""").Valid);
        Assert.Equal(
            (false, "invalid_metadata: metadata field 'source' must be a string, number, boolean or null, found object"),
            Validate(schema, """{"text":"x","source":{"url":"u"}}"""));
    }

    [Fact]
    public void Keeps_NamedMetadataOnly()
    {
        var schema = new RecordSchema { MetadataFields = ["lang"] };

        Assert.True(schema.Keeps("lang"));
        Assert.False(schema.Keeps("other"));
        Assert.False(RecordSchema.Default.Keeps("lang"));
    }

    [Theory]
    [InlineData("""{"text":"a","messages":[]}""", RecordShapes.Text)]
    [InlineData("""{"prompt":"a","response":"b"}""", RecordShapes.PromptResponse)]
    [InlineData("""{"messages":[]}""", RecordShapes.Messages)]
    [InlineData("""{"prompt":"a"}""", RecordShapes.None)]
    public void ShapeOf_Record_IsTheFirstShapeItHas(string json, RecordShapes expected)
    {
        Assert.Equal(expected, RecordSchema.ShapeOf(JsonDocument.Parse(json).RootElement));
    }
}
