using System.Text.Json.Serialization;
using Azure.Storage.Blobs;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Assets;
using GenAiServerless.AzureMlEmulator.Control;
using GenAiServerless.AzureMlEmulator.Endpoints;
using GenAiServerless.AzureMlEmulator.Jobs;
using GenAiServerless.AzureMlEmulator.Metrics;
using GenAiServerless.AzureMlEmulator.Processes;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator;

/// <summary>The emulator's wiring: its services, and its routes mapped once.</summary>
static class EmulatorServices
{
    const string Workspace = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}";

    public static IServiceCollection AddAzureMlEmulator(this IServiceCollection services, EmulatorContext emulator)
    {
        services.AddSingleton(emulator);
        services.AddSingleton(emulator.Options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new BlobServiceClient(emulator.Options.StorageConnectionString));
        services.AddSingleton<ChildProcesses>();
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<ArmRequestLog>();
        services.AddSingleton<OperationStore>();
        services.AddSingleton<DatastoreRegistry>();
        services.AddSingleton<StorageLocations>();
        services.AddSingleton<AssetRegistry>();
        services.AddSingleton<AssetValidation>();
        services.AddSingleton<ComputeRegistry>();
        services.AddSingleton<JobStore>();
        services.AddSingleton<JobValidation>();
        services.AddSingleton<MountTable>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<AutoPreemption>();
        services.AddSingleton<EndpointRegistry>();
        services.AddSingleton<DeploymentProvisioner>();
        services.AddSingleton<RequestMetrics>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        return services;
    }

    public static WebApplication MapAzureMlEmulator(this WebApplication app)
    {
        app.UseMiddleware<ArmGate>();
        RouteGroupBuilder workspace = app.MapGroup(Workspace);
        workspace.MapJobs();
        workspace.MapComputes();
        workspace.MapDatastores();
        workspace.MapAssets();
        workspace.MapPendingUploads();
        workspace.MapOnlineEndpoints();
        workspace.MapOnlineDeployments();
        workspace.MapMetrics();
        app.MapOperations();
        app.MapScoring();
        app.MapControlApi();
        app.MapFallback((HttpContext context) => ArmResults.Error(StatusCodes.Status404NotFound,
            new ArmError("NotFound", $"The emulator does not implement {context.Request.Method} {context.Request.Path}.")));
        return app;
    }

    /// <summary>Links the parts that need each other once the container is built.</summary>
    public static void Connect(this IServiceProvider services)
    {
        JobStore jobs = services.GetRequiredService<JobStore>();
        services.GetRequiredService<StorageLocations>().JobOutputUri = (scope, job, output) =>
            jobs.Find(scope, job) is { } found ? RequestBody.Text(RequestBody.Object(RequestBody.Object(found.Properties, "outputs"), output), "uri") : null;
    }
}
