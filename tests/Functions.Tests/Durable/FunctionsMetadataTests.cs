using System.Reflection;
using System.Text.Json;
using GenAiServerless.Functions.Durable;
using GenAiServerless.Pipeline;
using GenAiServerless.Tests.Functions.TestDoubles;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;

namespace GenAiServerless.Tests.Functions.Durable;

/// <summary>The app's function index: what the Worker SDK wrote into <c>functions.metadata</c> at build, against the
/// <c>[Function]</c> methods in the assembly and the tasks <c>AddPipelineTasks()</c> registers.</summary>
public sealed class FunctionsMetadataTests
{
    static readonly Assembly FunctionsAssembly = typeof(PipelineTasksFunctions).Assembly;
    static readonly Assembly OrchestrationsAssembly = typeof(ModelPipelineOrchestrator).Assembly;

    [Fact]
    public void FunctionsMetadata_AfterBuild_ListsEveryFunctionMethod()
    {
        Dictionary<string, string> listed = ReadMetadata().ToDictionary(f => f.Name, f => f.EntryPoint, StringComparer.Ordinal);
        Dictionary<string, string> declared = FunctionMethods().ToDictionary(
            m => m.GetCustomAttribute<FunctionAttribute>()!.Name, m => $"{m.DeclaringType!.FullName}.{m.Name}", StringComparer.Ordinal);

        Assert.Equal(declared.OrderBy(p => p.Key), listed.OrderBy(p => p.Key));
    }

    [Fact]
    public void FunctionsMetadata_DurableWrappers_UseTheirTriggerBindings()
    {
        Dictionary<string, string> triggers = ReadMetadata().ToDictionary(f => f.Name, f => f.TriggerType, StringComparer.Ordinal);
        (IReadOnlySet<string> orchestrators, IReadOnlySet<string> activities) = RegisteredTasks();

        Assert.All(orchestrators, name => Assert.Equal("orchestrationTrigger", triggers.GetValueOrDefault(name)));
        Assert.All(activities, name => Assert.Equal("activityTrigger", triggers.GetValueOrDefault(name)));
    }

    [Fact]
    public void AddPipelineTasks_EveryRegisteredTask_HasAWrapperOfTheSameName()
    {
        (IReadOnlySet<string> orchestrators, IReadOnlySet<string> activities) = RegisteredTasks();
        HashSet<string> orchestratorWrappers = WrapperNames<OrchestrationTriggerAttribute>();
        HashSet<string> activityWrappers = WrapperNames<ActivityTriggerAttribute>();

        Assert.Equal(orchestrators.Order(StringComparer.Ordinal), orchestratorWrappers.Order(StringComparer.Ordinal));
        Assert.Equal(activities.Order(StringComparer.Ordinal), activityWrappers.Order(StringComparer.Ordinal));
        Assert.NotEmpty(orchestrators);
        Assert.NotEmpty(activities);
    }

    /// <summary>What <c>AddPipelineTasks()</c> registers, by name. The registry cannot be enumerated publicly, so each
    /// candidate name (every task class of the orchestrations assembly, and every wrapper) is offered to the task
    /// factory a Durable Task worker builds from it: a name it can create is registered. Creating the activities also proves that the
    /// app's container satisfies every activity's constructor.</summary>
    static (IReadOnlySet<string> Orchestrators, IReadOnlySet<string> Activities) RegisteredTasks()
    {
        using var services = TestApp.Services();
        IDurableTaskFactory factory = RegisteredTaskFactory.Build();

        IEnumerable<string> orchestratorCandidates = TaskNames(typeof(ITaskOrchestrator)).Concat(WrapperNames<OrchestrationTriggerAttribute>());
        IEnumerable<string> activityCandidates = TaskNames(typeof(ITaskActivity)).Concat(WrapperNames<ActivityTriggerAttribute>());

        var orchestrators = orchestratorCandidates.Where(n => factory.TryCreateOrchestrator(new TaskName(n), services, out _)).ToHashSet(StringComparer.Ordinal);
        var activities = activityCandidates.Where(n => factory.TryCreateActivity(new TaskName(n), services, out _)).ToHashSet(StringComparer.Ordinal);
        return (orchestrators, activities);
    }

    /// <summary>The task names of the concrete classes implementing <paramref name="kind"/>: the <c>[DurableTask]</c>
    /// name where given, else the class name (as <c>AddOrchestrator&lt;T&gt;()</c> / <c>AddActivity&lt;T&gt;()</c> do).</summary>
    static IEnumerable<string> TaskNames(Type kind) =>
        OrchestrationsAssembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && kind.IsAssignableFrom(t))
            .Select(t => t.GetCustomAttribute<DurableTaskAttribute>()?.Name.Name is { Length: > 0 } name ? name : t.Name);

    static HashSet<string> WrapperNames<TTrigger>()
        where TTrigger : Attribute =>
        FunctionMethods()
            .Where(m => m.GetParameters().Any(p => p.GetCustomAttribute<TTrigger>() is not null))
            .Select(m => m.GetCustomAttribute<FunctionAttribute>()!.Name)
            .ToHashSet(StringComparer.Ordinal);

    static IEnumerable<MethodInfo> FunctionMethods() =>
        FunctionsAssembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null);

    sealed record ListedFunction(string Name, string EntryPoint, string TriggerType);

    static List<ListedFunction> ReadMetadata()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(FunctionsMetadataFile.Locate()));
        return doc.RootElement.EnumerateArray()
            .Select(f => new ListedFunction(
                f.GetProperty("name").GetString()!,
                f.GetProperty("entryPoint").GetString()!,
                f.GetProperty("bindings").EnumerateArray()
                    .Select(b => b.GetProperty("type").GetString()!)
                    .Single(t => t.EndsWith("Trigger", StringComparison.Ordinal))))
            .ToList();
    }
}
