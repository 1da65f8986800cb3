using Azure.Identity;
using GenAiServerless.Functions.Hosting;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Training;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Azure Functions app: the pipeline's triggers on the isolated worker. Each line wires one concern; the details
// live beside the code they wire.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);

builder.ConfigureFunctionsWebApplication();

builder.Services
    .AddStorageClients(builder.Configuration)
    .AddPipelineServices()
    .AddAzureMlJobBackend(new DefaultAzureCredential())
    .AddUnconfiguredEndpointHost()
    .AddPipelineStarterFactory();

builder.Build().Run();
