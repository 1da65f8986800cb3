using GenAiServerless.Pipeline;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GenAiServerless.Tests.Functions.Durable;

/// <summary>The task factory a Durable Task worker builds from <c>AddPipelineTasks()</c>, reached through public API
/// only: a worker whose build target just keeps the factory it is given.</summary>
static class RegisteredTaskFactory
{
    public static IDurableTaskFactory Build()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDurableTaskWorker(builder =>
        {
            builder.AddTasks(registry => registry.AddPipelineTasks());
            builder.UseBuildTarget<FactoryKeepingWorker>();
        });

        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetServices<IHostedService>().OfType<FactoryKeepingWorker>().Single().TaskFactory;
    }

    sealed class FactoryKeepingWorker(string? name, IDurableTaskFactory factory) : DurableTaskWorker(name, factory)
    {
        public IDurableTaskFactory TaskFactory => Factory;

        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
