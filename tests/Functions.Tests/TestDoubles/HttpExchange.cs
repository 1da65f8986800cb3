using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Functions.TestDoubles;

/// <summary>Builds requests for the HTTP functions and writes their results the way ASP.NET Core does, to read back
/// the status, headers and JSON body a caller would see.</summary>
static class HttpExchange
{
    public static HttpRequest Request(string? body)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body ?? string.Empty));
        return context.Request;
    }

    public static async Task<(int Status, IHeaderDictionary Headers, JsonElement Body)> ExecuteAsync(IResult result)
    {
        var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();

        await result.ExecuteAsync(context);

        context.Response.Body.Position = 0;
        using JsonDocument doc = await JsonDocument.ParseAsync(context.Response.Body);
        return (context.Response.StatusCode, context.Response.Headers, doc.RootElement.Clone());
    }
}
