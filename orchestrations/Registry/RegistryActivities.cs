using Microsoft.DurableTask;

namespace GenAiServerless.Registry;

/// <summary>Registers a trained model as an immutable, signed version (idempotent per run).</summary>
[DurableTask(nameof(RegisterModelVersion))]
public sealed class RegisterModelVersion(IModelRegistry registry, TimeProvider clock) : TaskActivity<ModelRegistration, ModelVersionInfo>
{
    public override Task<ModelVersionInfo> RunAsync(TaskActivityContext context, ModelRegistration input) =>
        registry.RegisterAsync(input, clock.GetUtcNow().UtcDateTime, CancellationToken.None);
}

/// <summary>Points an alias at a version (moving <c>champion</c> also moves <c>previous</c>).</summary>
[DurableTask(nameof(SetModelAlias))]
public sealed class SetModelAlias(IModelRegistry registry) : TaskActivity<AliasAssignment, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, AliasAssignment input)
    {
        await registry.SetAliasAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>Reads a version by number or alias; null when there is none.</summary>
[DurableTask(nameof(GetModelVersion))]
public sealed class GetModelVersion(IModelRegistry registry) : TaskActivity<ModelVersionQuery, ModelVersionInfo?>
{
    public override async Task<ModelVersionInfo?> RunAsync(TaskActivityContext context, ModelVersionQuery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Version is { } v
            ? await registry.GetVersionAsync(input.Model, v, CancellationToken.None)
            : await registry.GetAliasAsync(input.Model, input.Alias ?? ModelAliases.Champion, CancellationToken.None);
    }
}

/// <summary>Re-hashes a version's files and checks its manifest's signature before a rollout. A mismatch is an answer,
/// not a failure: it is not transient, so retrying would not help, and the rollout reports the reason.</summary>
[DurableTask(nameof(VerifyModelVersion))]
public sealed class VerifyModelVersion(ModelVersionVerifier verifier) : TaskActivity<ModelVersionCheck, VersionVerification>
{
    public override Task<VersionVerification> RunAsync(TaskActivityContext context, ModelVersionCheck input) =>
        verifier.VerifyAsync(input, CancellationToken.None);
}
