using GenAiServerless.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Functions.TestDoubles;

/// <summary>The Functions app's container, wired by the same extension method as <c>Program.cs</c>, with real options.
/// Storage points at a closed loopback port: the paths under test never reach it, and one that did would fail loudly.</summary>
static class TestApp
{
    public const string Model = "tinylm";

    // Port 9 (discard) on loopback: nothing listens there, and nothing outside this machine is ever addressed.
    public const string UnreachableStorage =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        + "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1";

    public static IConfiguration Configuration(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Storage"] = UnreachableStorage,
            ["Pipeline:Models:0"] = Model,
            ["Pipeline:Models:1"] = "other-model",
            ["Schedule:RetrainCron"] = "0 0 2 * * *",
            // The drift cooldown lives in storage, unreachable here: Local.Tests cover it on Azurite.
            ["DriftAlerts:Cooldown"] = "00:00:00",
            ["AzureMl:SubscriptionId"] = "00000000-0000-0000-0000-000000000000",
            ["AzureMl:ResourceGroup"] = "rg-genai",
            ["AzureMl:WorkspaceName"] = "mlw-genai",
            ["AzureMl:Region"] = "eastus",
            ["Signing:KeyVaultUri"] = "https://kv-genai.vault.azure.net/",
            ["Signing:KeyName"] = "manifest-signing",
            ["Api:EntraId:TenantId"] = EntraTokens.TenantId,
            ["Api:EntraId:ClientId"] = EntraTokens.ClientId,
        };
        foreach ((string key, string? value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    public static ServiceProvider Services(IConfiguration? configuration = null)
    {
        configuration ??= Configuration();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        services.AddGenAiFunctionsApp(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
