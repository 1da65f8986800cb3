using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GenAiServerless.Functions.Hosting;
using GenAiServerless.Platform;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Registry.Signing;
using GenAiServerless.Registry.Signing.KeyVault;
using GenAiServerless.Rollout;
using GenAiServerless.Rollout.AzureMl;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Tests.Bicep;

/// <summary>The function app's settings in the deployed template against the worker's start-up checks: the app's own
/// container (AddGenAiFunctionsApp) is built from the settings as Azure hands them to the worker, and every options
/// validator registered with ValidateOnStart runs. A required option without a setting fails here, naming the key.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed partial class WorkerSettingsTests(MainTemplateFixture fixture)
{
    public static TheoryData<string> Networking => ["public", "private"];

    [Theory]
    [MemberData(nameof(Networking))]
    public void AppSettings_WorkerStartupValidation_Passes(string networking)
    {
        Dictionary<string, string> settings = Settings(networking);

        using ServiceProvider services = BuildWorker(settings);

        ValidateOrExplain(services);
    }

    [Fact]
    public void AppSettings_StorageConnection_PointsTheWorkerAndTriggersAtTheDataAccount()
    {
        Dictionary<string, string> settings = Settings("public");
        string dataAccount = Account(fixture.Public, "data");

        using ServiceProvider services = BuildWorker(settings);

        Assert.Equal(dataAccount, services.GetRequiredService<BlobServiceClient>().AccountName);
        Assert.Equal(new Uri($"https://{dataAccount}.queue.core.windows.net/"), services.GetRequiredService<QueueServiceClient>().Uri);
        // The bindings' `Storage` connection: identity-based, the user-assigned identity named.
        Assert.Equal("managedidentity", settings["Storage__credential"]);
        Assert.Equal(DeployedValue.PlaceholderClientId, settings["Storage__clientId"]);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal(DeployedValue.PlaceholderClientId, settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal(Account(fixture.Public, "host"), settings["AzureWebJobsStorage__accountName"]);
        Assert.Equal(DeployedValue.PlaceholderClientId, settings["AZURE_CLIENT_ID"]);
    }

    [Fact]
    public void AppSettings_AzureMlDatastores_BindToTheDatastoresTheTemplateCreates()
    {
        Dictionary<string, string> settings = Settings("public");
        var created = fixture.Public.OfType("Microsoft.MachineLearningServices/workspaces/datastores")
            .ToDictionary(
                d => d["name"]!.GetValue<string>()[(d["name"]!.GetValue<string>().IndexOf('/', StringComparison.Ordinal) + 1)..],
                d => d["properties"]!["containerName"]!.GetValue<string>(),
                StringComparer.Ordinal);

        using ServiceProvider services = BuildWorker(settings);
        AzureMlOptions options = services.GetRequiredService<IOptions<AzureMlOptions>>().Value;

        // Every datastore the worker names is set explicitly (not left to a default) and exists in the workspace.
        foreach (string key in new[] { "CuratedDatastore", "ModelsDatastore", "CheckpointsDatastore", "RegistryDatastore" })
        {
            Assert.True(settings.ContainsKey($"AzureMl__{key}"), $"app setting AzureMl__{key} is missing");
        }

        Assert.Equal(
            new[] { options.CuratedDatastore, options.ModelsDatastore, options.CheckpointsDatastore, options.RegistryDatastore }.Order(StringComparer.Ordinal),
            created.Keys.Order(StringComparer.Ordinal));
        // The URIs the worker writes into jobs and model assets resolve to a datastore over the same container.
        foreach (string container in new[] { PipelineStorage.Curated, PipelineStorage.Models, PipelineStorage.Registry })
        {
            string uri = AzureMlModelAssets.DatastoreUri(options, $"{container}/tiny-lm/");
            string datastore = uri["azureml://datastores/".Length..uri.IndexOf("/paths/", StringComparison.Ordinal)];
            Assert.Equal(container, created[datastore]);
        }
    }

    [Theory]
    [MemberData(nameof(Networking))]
    public void AppSettings_EndpointIdentity_EndpointsTheAppCreatesRunAsTheTemplatesIdentity(string networking)
    {
        string identity = Identity(Snapshot(networking), "id-endpoint-");

        using ServiceProvider services = BuildWorker(Settings(networking));
        AzureMlOptions options = services.GetRequiredService<IOptions<AzureMlOptions>>().Value;
        var host = Assert.IsType<AzureMlEndpointHost>(services.GetRequiredService<IEndpointHost>());
        JsonNode endpointIdentity = host.EndpointBody("tiny-lm")["identity"]!;

        // The body of the endpoint PUT, as the deployed worker would send it: the user-assigned identity the template
        // grants the registry and the workspace storage to, not a system-assigned one that would hold no grant.
        Assert.Equal(identity, options.EndpointIdentityId);
        Assert.Equal("UserAssigned", endpointIdentity["type"]!.GetValue<string>());
        Assert.Equal([identity], endpointIdentity["userAssignedIdentities"]!.AsObject().Select(pair => pair.Key));
    }

    [Theory]
    [InlineData("public", "Enabled")]
    [InlineData("private", "Disabled")]
    public void AppSettings_EndpointNetworking_ReachTheEndpointAndDeploymentBodies(string networking, string expected)
    {
        using ServiceProvider services = BuildWorker(Settings(networking));
        var host = Assert.IsType<AzureMlEndpointHost>(services.GetRequiredService<IEndpointHost>());
        var spec = new DeploymentSpec("tiny-lm", "v1", new DeployableModel("tiny-lm", 1, "registry/tiny-lm/v1/"));

        // What the deployed worker would PUT: the setting passes its validation (Enabled|Disabled) and lands in the
        // endpoint's body; the deployment's leaves egress to the workspace (no flag).
        Assert.Equal(expected, host.EndpointBody("tiny-lm")["properties"]!["publicNetworkAccess"]!.GetValue<string>());
        Assert.Null(host.DeploymentBody(spec, "model-id", "code-id")["properties"]!["egressPublicNetworkAccess"]);
    }

    [Theory]
    [MemberData(nameof(Networking))]
    public void AppSettings_EndpointPrefix_NamesEveryModelsEndpointValidlyAndPerEnvironment(string networking)
    {
        DeploymentSnapshot snapshot = Snapshot(networking);
        Dictionary<string, string> settings = Settings(networking);
        string app = snapshot.Single("Microsoft.Web/sites", "func-")["name"]!.GetValue<string>();
        string token = app["func-".Length..];

        using ServiceProvider services = BuildWorker(settings);
        var host = Assert.IsType<AzureMlEndpointHost>(services.GetRequiredService<IEndpointHost>());

        // Endpoint names are unique within a region across every subscription (the scoring URI is {name}.{region}…):
        // the prefix carries the environment's resource token, so two azd environments never share an endpoint.
        Assert.Equal($"e{token[..8]}-", settings["AzureMl__EndpointPrefix"]);
        foreach (string model in settings["Pipeline__Models"].Split(','))
        {
            string name = host.EndpointName(model);
            Assert.StartsWith(settings["AzureMl__EndpointPrefix"], name, StringComparison.Ordinal);
            Assert.Matches(AzureEndpointName(), name);
        }

        // The longest model name that keeps its full name under the prefix (32 - 10 characters).
        Assert.Equal($"e{token[..8]}-{new string('m', 22)}", host.EndpointName(new string('m', 22)));
    }

    [Fact]
    public void AppSettings_Computes_SpotAttemptsOnTheLowPriorityClusterOthersOnTheDedicatedOne()
    {
        Dictionary<string, string> settings = Settings("public");
        var clusters = fixture.Public.OfType("Microsoft.MachineLearningServices/workspaces/computes").ToDictionary(
            c => c["properties"]!["properties"]!["vmPriority"]!.GetValue<string>(),
            c => c["name"]!.GetValue<string>()[(c["name"]!.GetValue<string>().IndexOf('/', StringComparison.Ordinal) + 1)..]);
        var submission = new GenAiServerless.Training.JobSubmission("r-train-a1", 1, GenAiServerless.Training.JobKind.Train, ["curated/tiny-lm/r/"], null, "r-train",
            "Standard_NC24ads_A100_v4", Spot: true, new Dictionary<string, string>());

        using ServiceProvider services = BuildWorker(settings);
        var backend = ActivatorUtilities.CreateInstance<GenAiServerless.Training.AzureMl.AzureMlJobBackend>(services);
        JsonNode spot = backend.JobBody(submission, "code-id")["properties"]!;
        JsonNode dedicated = backend.JobBody(submission with { Spot = false }, "code-id")["properties"]!;

        // The job bodies the deployed worker would PUT: each attempt on the cluster of its priority, the VM left to it.
        Assert.Equal(clusters["LowPriority"], settings["AzureMl__ComputeName"]);
        Assert.Equal(clusters["Dedicated"], settings["AzureMl__DedicatedComputeName"]);
        Assert.EndsWith($"/computes/{clusters["LowPriority"]}", spot["computeId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.EndsWith($"/computes/{clusters["Dedicated"]}", dedicated["computeId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(new[] { spot, dedicated }, p => Assert.Null(p["resources"]!["instanceType"]));
    }

    [Fact]
    public void AppSettings_GpuRequirements_MatchTheClustersVmSoTheSelectorPricesIt()
    {
        Dictionary<string, string> settings = Settings("public");
        string vmSize = fixture.Public.OfType("Microsoft.MachineLearningServices/workspaces/computes")
            .Select(c => c["properties"]!["properties"]!["vmSize"]!.GetValue<string>()).Distinct().Single();

        using ServiceProvider services = BuildWorker(settings);
        var policy = services.GetRequiredService<GenAiServerless.Pipeline.PipelineRequestFactory>().Training("tiny-lm");
        var catalog = services.GetRequiredService<GenAiServerless.Training.Prices.PriceCatalog>();
        GenAiServerless.Training.Prices.ComputeChoice choice = GenAiServerless.Training.Prices.ComputeSelector.Choose(catalog, policy.Compute);

        // The worker's defaults (T4, 16 GB) would price a VM the clusters do not have: the settings name the clusters' GPU.
        Assert.Equal("A100", settings["Training__GpuType"]);
        Assert.Equal("80", settings["Training__MinGpuMemoryGb"]);
        Assert.Equal("1", settings["Training__GpuCount"]);
        Assert.Equal(vmSize, choice.Offer.Sku);
        Assert.All(choice.Alternatives, alternative => Assert.Equal(vmSize, alternative.Offer.Sku));
    }

    [Fact]
    public void AppSettings_Telemetry_WorkerExportsToTheTemplatesApplicationInsights()
    {
        Dictionary<string, string> settings = Settings("public");

        using ServiceProvider services = BuildWorker(settings);
        var exporter = services.GetRequiredService<IOptionsMonitor<Azure.Monitor.OpenTelemetry.Exporter.AzureMonitorExporterOptions>>().Get(Options.DefaultName);

        // The alerts query the worker's logs in `traces`: the deployed worker registers its exporter from the setting the
        // template fills with the component's connection string, and signs in (the component has local auth off).
        Assert.Equal(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"], exporter.ConnectionString);
        Assert.NotNull(exporter.Credential);
        string component = fixture.Public.Single("Microsoft.Insights/components")["id"]!.GetValue<string>();
        Assert.StartsWith($"[reference('{component}'", fixture.Public.AppSettings["APPLICATIONINSIGHTS_CONNECTION_STRING"], StringComparison.Ordinal);
        Assert.EndsWith(").ConnectionString]", fixture.Public.AppSettings["APPLICATIONINSIGHTS_CONNECTION_STRING"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AzureMl__Region")]
    [InlineData("AzureMl__WorkspaceName")]
    [InlineData("Pipeline__Models")]
    [InlineData("Api__EntraId__ClientId")]
    [InlineData("Api__EntraId__TenantId")]
    [InlineData("Storage__blobServiceUri")]
    [InlineData("Signing__KeyVaultUri")]
    [InlineData("Signing__KeyName")]
    public void AppSettings_RequiredSettingRemoved_FailsNamingIt(string key)
    {
        // The check above is only worth something if a missing setting trips it: drop one, expect its name back.
        Dictionary<string, string> settings = Settings("public").Where(pair => pair.Key != key).ToDictionary();

        string failure = FailureOf(() =>
        {
            using ServiceProvider services = BuildWorker(settings);
            ValidateOrExplain(services);
        });

        Assert.Contains($"'{key}'", failure, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AppSettings_Signing_SignsWithTheTemplatesVaultKey()
    {
        Dictionary<string, string> settings = Settings("public");
        string vault = fixture.Public.Single("Microsoft.KeyVault/vaults")["name"]!.GetValue<string>();
        string key = fixture.Public.Single("Microsoft.KeyVault/vaults/keys")["name"]!.GetValue<string>();

        using ServiceProvider services = BuildWorker(settings);

        // Model manifests are signed by the key the template creates, in the vault the app holds Crypto User on.
        var signer = Assert.IsType<KeyVaultManifestSigner>(services.GetRequiredService<IManifestSigner>());
        Assert.Equal(new Uri($"https://{vault}.vault.azure.net/"), signer.VaultUri);
        Assert.Equal(key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..], signer.KeyName);
    }

    [Fact]
    public void AppSettings_TriggerBindings_EachNamesASetting()
    {
        // The host, not the worker, resolves %Name% in binding attributes and the identity-based `Connection` settings:
        // a worker default (Schedule:RetrainCron has one) does not help the timer trigger start.
        Dictionary<string, string> settings = Settings("public");
        var attributes = typeof(FunctionsAppServiceCollectionExtensions).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods())
            .Where(method => method.GetCustomAttributes(typeof(Microsoft.Azure.Functions.Worker.FunctionAttribute), false).Length > 0)
            .SelectMany(method => method.GetParameters().SelectMany(parameter => parameter.GetCustomAttributes(false)))
            .ToList();
        var required = new SortedSet<string>(StringComparer.Ordinal);
        foreach (object attribute in attributes)
        {
            foreach (var property in attribute.GetType().GetProperties().Where(p => p.PropertyType == typeof(string)))
            {
                string? value = (string?)property.GetValue(attribute);
                foreach (Match match in BindingExpression().Matches(value ?? string.Empty))
                {
                    required.Add(match.Groups["name"].Value.Replace(":", "__", StringComparison.Ordinal));
                }

                if (property.Name == "Connection" && !string.IsNullOrEmpty(value))
                {
                    required.Add($"{value}__credential");
                    required.Add($"{value}__clientId");
                    required.Add(attribute.GetType().Name.StartsWith("Blob", StringComparison.Ordinal) ? $"{value}__blobServiceUri" : $"{value}__queueServiceUri");
                }
            }
        }

        Assert.Contains("Schedule__RetrainCron", required);
        Assert.Contains("Storage__blobServiceUri", required);
        Assert.All(required, key => Assert.True(settings.ContainsKey(key), $"A trigger binding needs app setting '{key}': add it to the functions module's appSettings in bicep/main.bicep."));
    }

    [Theory]
    [MemberData(nameof(Networking))]
    public void AppSettings_NoSetting_HoldsAKeyOrSecret(string networking)
    {
        IReadOnlyDictionary<string, string> raw = Snapshot(networking).AppSettings;

        Assert.All(raw, pair =>
        {
            // No list*() call (listKeys, listConnectionStrings…): its result would be a secret in the site config.
            Assert.DoesNotMatch(new Regex(@"\blist[A-Za-z]*\(", RegexOptions.IgnoreCase), pair.Value);
            foreach (string secret in new[] { "AccountKey=", "SharedAccessKey", "SharedAccessSignature", "sig=", "Password=" })
            {
                Assert.DoesNotContain(secret, pair.Value, StringComparison.OrdinalIgnoreCase);
            }

            // A connection string with a secret would have to sit in one of these forms; identity-based ones do not.
            Assert.False(pair.Key is "AzureWebJobsStorage" or "Storage" || pair.Key.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase), $"{pair.Key} is a connection-string setting");
        });
        // The one connection string present, Application Insights', carries no secret: local auth is off on the component.
        Assert.True(fixture.Public.Single("Microsoft.Insights/components")["properties"]!["DisableLocalAuth"]!.GetValue<bool>());
        Assert.Equal(
            "[format('ClientId={0};Authorization=AAD', reference('" + Identity(fixture.Public, "id-func-") + "', '2023-01-31').clientId)]",
            raw["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    }

    /// <summary>The settings with placeholders for values that exist only after deployment.</summary>
    private Dictionary<string, string> Settings(string networking) =>
        Snapshot(networking).AppSettings.ToDictionary(pair => pair.Key, pair => DeployedValue.Resolve(pair.Key, pair.Value), StringComparer.Ordinal);

    private DeploymentSnapshot Snapshot(string networking) => networking == "private" ? fixture.Private : fixture.Public;

    /// <summary>The worker's container, built as Program.cs builds it, with the app settings as configuration: Azure
    /// gives app settings to the worker as environment variables, where <c>A__B</c> is the key <c>A:B</c>.</summary>
    private static ServiceProvider BuildWorker(IReadOnlyDictionary<string, string> appSettings)
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(appSettings.Select(pair => KeyValuePair.Create(pair.Key.Replace("__", ":", StringComparison.Ordinal), (string?)pair.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        services.AddGenAiFunctionsApp(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>Runs every ValidateOnStart validator; a failure names the app setting to add to main.bicep.</summary>
    private static void ValidateOrExplain(ServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception e) when (e is OptionsValidationException or AggregateException)
        {
            IEnumerable<OptionsValidationException> failures = e is AggregateException aggregate
                ? aggregate.Flatten().InnerExceptions.OfType<OptionsValidationException>()
                : [(OptionsValidationException)e];
            IEnumerable<string> keys = failures.SelectMany(SettingKeys).Distinct();
            Assert.Fail(
                $"The worker would fail at start-up with the deployed app settings: {e.Message}\n"
                + $"Add {string.Join(", ", keys.Select(k => $"'{k}'"))} to the appSettings of the functions module in bicep/main.bicep "
                + "(an option Section:Name is the app setting Section__Name).");
        }
    }

    /// <summary>The app settings an options failure points at: a custom check names its key first ("Pipeline:Models: …");
    /// a DataAnnotations failure names the member, and the section is the options type's name less "Options" (the
    /// convention of every BindConfiguration here: AzureMlOptions binds AzureMl).</summary>
    private static IEnumerable<string> SettingKeys(OptionsValidationException failure)
    {
        string type = failure.OptionsType.Name;
        string section = type.EndsWith("Options", StringComparison.Ordinal) ? type[..^"Options".Length] : type;
        foreach (string message in failure.Failures)
        {
            Match named = NamedKey().Match(message);
            if (named.Success)
            {
                yield return named.Groups["key"].Value.Replace(":", "__", StringComparison.Ordinal);
                continue;
            }

            foreach (Match member in Members().Matches(message))
            {
                yield return $"{section}__{member.Groups["member"].Value}";
            }
        }
    }

    private static string FailureOf(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            return e.Message;
        }

        throw new Xunit.Sdk.XunitException("expected the worker's start-up to fail");
    }

    private static string Account(DeploymentSnapshot snapshot, string role) =>
        snapshot.Single("Microsoft.Storage/storageAccounts", $"st{role}")["name"]!.GetValue<string>();

    private static string Identity(DeploymentSnapshot snapshot, string prefix) =>
        snapshot.Single("Microsoft.ManagedIdentity/userAssignedIdentities", prefix)["id"]!.GetValue<string>();

    [GeneratedRegex(@"members: '(?<member>[^']+)'")]
    private static partial Regex Members();

    [GeneratedRegex(@"^(?<key>[A-Za-z]+(?::[A-Za-z]+)+):")]
    private static partial Regex NamedKey();

    /// <summary>Azure ML's rule for online endpoint names: a letter first, then letters, digits and hyphens, 3 to 32 in
    /// all, no hyphen last.</summary>
    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$")]
    private static partial Regex AzureEndpointName();

    [GeneratedRegex(@"%(?<name>[^%]+)%")]
    private static partial Regex BindingExpression();
}
