using GenAiServerless.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Azure Functions app: the pipeline's triggers on the isolated worker. The wiring lives in AddGenAiFunctionsApp,
// beside the code it wires, so the Bicep tests can check the deployed app settings against the same container.
FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);

builder.ConfigureFunctionsWebApplication();

builder.Services.AddGenAiFunctionsApp(builder.Configuration);

builder.Build().Run();
