using System.Net;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>What every ARM call passes first: the bearer token (401), the api-version (400), the ARM error shape.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class ArmGateTests(EmulatorFixture fixture)
{
    readonly ArmTestClient arm = fixture.NewWorkspace();

    [Fact]
    public async Task ArmCall_WithoutOrWithAWrongToken_Answers401WithAnArmError()
    {
        string url = ArmTestClient.WithApiVersion(arm.Id("jobs/any"));

        ArmResponse missing = await arm.SendUrlAsync(HttpMethod.Get, url, client: fixture.Anonymous);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "wrong");
        using HttpResponseMessage wrong = await fixture.Anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal("AuthenticationFailed", missing.ErrorCode);
        Assert.NotNull(missing.Body!["error"]!["details"]);
        Assert.Contains("Bearer authorization_uri", missing.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task ArmCall_WithoutApiVersion_Answers400()
    {
        ArmResponse response = await arm.SendUrlAsync(HttpMethod.Get, arm.Id("jobs/any"));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("MissingApiVersionParameter", response.ErrorCode);
    }

    [Fact]
    public async Task ArmCall_UnknownRouteOrResource_Answers404WithAnArmError()
    {
        ArmResponse route = await arm.GetAsync("batchEndpoints/any");
        ArmResponse job = await arm.GetAsync("jobs/never-submitted");

        Assert.Equal(HttpStatusCode.NotFound, route.Status);
        Assert.NotNull(route.ErrorMessage);
        Assert.Equal(HttpStatusCode.NotFound, job.Status);
        Assert.Equal("ResourceNotFound", job.ErrorCode);
    }
}
