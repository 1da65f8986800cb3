using GenAiServerless.Functions.Hosting;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Azure Functions app: the pipeline's triggers on the isolated worker. Each line wires one concern; the details
// live beside the code they wire.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);

builder.ConfigureFunctionsWebApplication();

builder.Services
    .AddStorageClients(builder.Configuration)
    .AddPipelineServices()
    .AddUnconfiguredEndpointHost()
    .AddPipelineStarterFactory();

builder.Build().Run();
