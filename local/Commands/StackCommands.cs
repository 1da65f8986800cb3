using System.ComponentModel;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Api;
using GenAiServerless.Local.Stack;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Triggers;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Local.Commands;

/// <summary><c>genai up</c>: runs the stack until Ctrl+C (or SIGTERM).</summary>
public sealed class UpCommand : AsyncCommand<UpCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--port <PORT>")]
        [Description("Port of the HTTP API and endpoints on 127.0.0.1.")]
        [DefaultValue(7071)]
        public int Port { get; init; } = 7071;

        [CommandOption("--storage <CONNECTION_STRING>")]
        [Description("Use this storage (an Azurite already running) instead of starting Azurite.")]
        public string? Storage { get; init; }

        [CommandOption("--home <DIR>")]
        [Description("Folder for jobs, endpoint files and Azurite data (default: .genai at the repository root, or GENAI_HOME).")]
        public string? Home { get; init; }

        [CommandOption("--task-hub <NAME>")]
        [Description("Durable task hub (tables, queues and containers of the engine in storage).")]
        [DefaultValue("GenAiLocal")]
        public string TaskHub { get; init; } = "GenAiLocal";

        [CommandOption("--set <KEY=VALUE>")]
        [Description("Override a setting, e.g. --set LocalJobs:InjectEvictionAtProgress=0.5 (repeatable).")]
        public string[] Set { get; init; } = [];
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, string?>();
        foreach (string pair in settings.Set)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                Console.Error.WriteLine($"--set '{pair}': expected KEY=VALUE");
                return 2;
            }

            overrides[pair[..eq]] = pair[(eq + 1)..];
        }

        // A shell starts a background job (`genai up &`) with SIGINT ignored, and the runtime leaves an ignored signal
        // ignored unless asked for it: ask, so that `kill -INT` stops the stack as Ctrl+C does.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ForegroundSignals.Restore();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });

        string home = settings.Home is null ? StackHome.Default() : Path.GetFullPath(settings.Home);
        Directory.CreateDirectory(home);
        AzuriteServer? azurite = settings.Storage is null ? await AzuriteServer.StartAsync(home, Console.WriteLine, stop.Token) : null;
        string storage = settings.Storage ?? azurite!.ConnectionString;
        try
        {
            await using LocalPipelineHost stack = await LocalPipelineHost.StartAsync(new LocalPipelineHostSettings { Home = home, StorageConnectionString = storage, ApiPort = settings.Port, TaskHub = settings.TaskHub, Overrides = overrides }, stop.Token);
            StackFile.Write(home, new StackFile(stack.ApiBase.ToString(), storage, Environment.ProcessId));
            Console.WriteLine($"genai up: API and endpoints at {stack.ApiBase} (pid {Environment.ProcessId}); drop files into incoming/<model>/ or run `genai drop`. Ctrl+C stops.");
            await stack.WaitForShutdownAsync(stop.Token);
            StackFile.Delete(home);
        }
        finally
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }
        }

        return 0;
    }
}

/// <summary><c>genai drop</c>: uploads a file into <c>incoming/{model}/</c> of the running stack.</summary>
public sealed class DropCommand : AsyncCommand<DropCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("The JSONL file to drop.")]
        public string File { get; init; } = string.Empty;

        [CommandOption("--model <NAME>")]
        [Description("The model the data is for.")]
        public string Model { get; init; } = string.Empty;

        [CommandOption("--wait <SECONDS>")]
        [Description("How long to wait for the stack to schedule the run before saying none was.")]
        [DefaultValue(30)]
        public int WaitSeconds { get; init; } = 30;

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Model) ? ValidationResult.Error("--model is required")
            : WaitSeconds < 0 ? ValidationResult.Error("--wait must be 0 or more seconds")
            : !System.IO.File.Exists(File) ? ValidationResult.Error($"file '{File}' does not exist")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        StackFile stack = StackFile.Read();
        string blobName = $"{settings.Model}/{Path.GetFileName(settings.File)}";
        BlobClient blob = new BlobServiceClient(stack.StorageConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
        long length;
        BlobContentInfo info;
        await using (FileStream file = System.IO.File.OpenRead(settings.File))
        {
            length = file.Length;
            info = (await blob.UploadAsync(file, overwrite: true, cancellationToken)).Value;
        }

        Console.WriteLine($"dropped incoming/{blobName} ({length} bytes)");

        // The run id is known now, but whether it runs is the stack's call: the blob may be replaced before the scanner
        // sees this version, or the file rejected. Say what was scheduled, once it was.
        string id = InstanceIds.ForDrop(settings.Model, blobName, info.ETag.ToString());
        using HttpClient http = StackFile.ApiClient(ApiRole.Reader);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(settings.WaitSeconds);
        while (true)
        {
            using (HttpResponseMessage response = await http.GetAsync($"api/pipelines/{Uri.EscapeDataString(id)}", cancellationToken))
            {
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine($"pipeline run scheduled: {id}");
                    Console.WriteLine($"follow it with: genai status {id}");
                    return 0;
                }
            }

            if (!(await blob.ExistsAsync(cancellationToken)).Value || (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ETag != info.ETag)
            {
                Console.WriteLine($"no run scheduled: incoming/{blobName} was replaced or removed before the stack picked up this version");
                return 1;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                Console.WriteLine($"no run scheduled within {settings.WaitSeconds} s: the file may have been rejected (the stack's log and the quarantine say why), or the stack is not scanning; `genai status` lists the runs");
                return 1;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }
}

/// <summary><c>genai status [id]</c>: one run in detail, or the recent runs.</summary>
public sealed class StatusCommand : AsyncCommand<StatusCommand.Settings>
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[ID]")]
        [Description("Pipeline instance id; omitted, lists recent runs.")]
        public string? Id { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using HttpClient http = StackFile.ApiClient(ApiRole.Reader);
        using HttpResponseMessage response = await http.GetAsync(settings.Id is null ? "api/pipelines" : $"api/pipelines/{Uri.EscapeDataString(settings.Id)}", cancellationToken);
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            Console.WriteLine(JsonSerializer.Serialize(doc.RootElement, Indented));
        }
        catch (JsonException)
        {
            // Whatever the API answered, show it rather than failing on it.
            Console.WriteLine($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {body}");
        }

        return response.IsSuccessStatusCode ? 0 : 1;
    }
}

/// <summary><c>genai deploy</c>: rolls out a chosen registered version through the API.</summary>
public sealed class DeployCommand : AsyncCommand<DeployCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <NAME>")]
        public string Model { get; init; } = string.Empty;

        [CommandOption("--version <N>")]
        public int? Version { get; init; }

        [CommandOption("--alias <NAME>")]
        public string? Alias { get; init; }

        [CommandOption("--request-id <ID>")]
        [Description("Idempotency key: the same key again starts nothing new (a retry); without one every deploy is a new rollout.")]
        public string? RequestId { get; init; }

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Model) ? ValidationResult.Error("--model is required")
            : Version is null && Alias is null ? ValidationResult.Error("give --version or --alias")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using HttpClient http = StackFile.ApiClient(ApiRole.Deployer);
        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/models/{Uri.EscapeDataString(settings.Model)}/deployments", new DeploymentCommand(settings.Version, settings.Alias, settings.RequestId), cancellationToken);
        Console.WriteLine(await response.Content.ReadAsStringAsync(cancellationToken));
        return response.IsSuccessStatusCode ? 0 : 1;
    }
}

/// <summary><c>genai approve</c>: releases (or rejects) a run waiting at the gate.</summary>
public sealed class ApproveCommand : AsyncCommand<ApproveCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<ID>")]
        public string Id { get; init; } = string.Empty;

        [CommandOption("--reject")]
        public bool Reject { get; init; }

        [CommandOption("--comment <TEXT>")]
        public string? Comment { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The approver the run records is the token's subject: this user.
        using HttpClient http = StackFile.ApiClient(ApiRole.Approver);
        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{Uri.EscapeDataString(settings.Id)}/{(settings.Reject ? "reject" : "approve")}",
            new ApprovalCommand(settings.Comment), cancellationToken);
        Console.WriteLine(await response.Content.ReadAsStringAsync(cancellationToken));
        return response.IsSuccessStatusCode ? 0 : 1;
    }
}

/// <summary><c>genai cancel</c>: cancels a running pipeline (and its training or evaluation job).</summary>
public sealed class CancelCommand : AsyncCommand<CancelCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<ID>")]
        public string Id { get; init; } = string.Empty;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using HttpClient http = StackFile.ApiClient(ApiRole.Operator);
        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{Uri.EscapeDataString(settings.Id)}/cancel", new OperatorCommand(null), cancellationToken);
        Console.WriteLine(await response.Content.ReadAsStringAsync(cancellationToken));
        return response.IsSuccessStatusCode ? 0 : 1;
    }
}

/// <summary><c>genai rollout pause|resume|rollback &lt;id&gt;</c>: an operator's command to the run's rollout, sent as
/// this user with a Deployer token; the rollout obeys it at its next wait (the answer says whether one was running).</summary>
public abstract class RolloutControlCommand : AsyncCommand<RolloutControlCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<ID>")]
        [Description("The pipeline run or deployment whose rollout to command.")]
        public string Id { get; init; } = string.Empty;
    }

    /// <summary>The route's last segment: <c>pause</c>, <c>resume</c> or <c>rollback</c>.</summary>
    protected abstract string Action { get; }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using HttpClient http = StackFile.ApiClient(ApiRole.Deployer);
        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{Uri.EscapeDataString(settings.Id)}/rollout/{Action}", new OperatorCommand(null), cancellationToken);
        Console.WriteLine(await response.Content.ReadAsStringAsync(cancellationToken));
        return response.IsSuccessStatusCode ? 0 : 1;
    }
}

/// <summary><c>genai rollout pause</c>.</summary>
public sealed class RolloutPauseCommand : RolloutControlCommand
{
    protected override string Action => "pause";
}

/// <summary><c>genai rollout resume</c>.</summary>
public sealed class RolloutResumeCommand : RolloutControlCommand
{
    protected override string Action => "resume";
}

/// <summary><c>genai rollout rollback</c>.</summary>
public sealed class RolloutRollbackCommand : RolloutControlCommand
{
    protected override string Action => "rollback";
}

/// <summary><c>genai token</c>: prints a bearer token for the local stack's API, signed with the stack's key.</summary>
public sealed class TokenCommand : Command<TokenCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--role <ROLE>")]
        [Description("Reader, Deployer, Approver or Operator (repeatable).")]
        public string[] Roles { get; init; } = [];

        [CommandOption("--name <NAME>")]
        [Description("The caller the pipeline records (default: the current user).")]
        public string? Name { get; init; }

        [CommandOption("--valid-for <DURATION>")]
        [Description("How long the token is valid, e.g. 30m, 8h (default 8h, at most 30 days).")]
        [DefaultValue("8h")]
        public string ValidFor { get; init; } = "8h";

        [CommandOption("--home <DIR>")]
        [Description("The stack's home (default: .genai at the repository root, or GENAI_HOME).")]
        public string? Home { get; init; }

        public override ValidationResult Validate() =>
            Roles.Length == 0 ? ValidationResult.Error("give --role (Reader, Deployer, Approver or Operator)")
            : Roles.FirstOrDefault(r => !r.All(char.IsAsciiLetter) || !Enum.TryParse<ApiRole>(r, ignoreCase: true, out _)) is { } bad ? ValidationResult.Error($"--role '{bad}': Reader, Deployer, Approver or Operator")
            : Duration(ValidFor) is null ? ValidationResult.Error($"--valid-for '{ValidFor}': a number followed by m, h or d, at most 30 days")
            : Name is { } n && string.IsNullOrWhiteSpace(n) ? ValidationResult.Error("--name is empty")
            : ValidationResult.Success();
    }

    /// <summary>30m, 8h, 2d; null when not one of those or longer than 30 days.</summary>
    public static TimeSpan? Duration(string text)
    {
        if (text.Length < 2 || !int.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n <= 0 || n > 43_200)
        {
            return null; // 43 200 minutes is 30 days; a larger count would overflow TimeSpan for days and hours
        }

        TimeSpan? span = text[^1] switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => null };
        return span <= TimeSpan.FromDays(30) ? span : null;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string home = settings.Home is null ? StackHome.Default() : Path.GetFullPath(settings.Home);
        IEnumerable<ApiRole> roles = settings.Roles.Select(r => Enum.Parse<ApiRole>(r, ignoreCase: true));
        Console.WriteLine(LocalApiTokens.OpenOrCreate(home).Issue(settings.Name ?? Environment.UserName, roles, Duration(settings.ValidFor)!.Value));
        return 0;
    }
}

/// <summary>Undoes what a shell does to a background job: SIGINT set to "ignore", which the runtime keeps.</summary>
static partial class ForegroundSignals
{
    const int SigInt = 2;

    /// <summary>Puts SIGINT back to its default disposition, so that the runtime's handler (Ctrl+C, <c>kill -INT</c>) is
    /// installed by the next <see cref="PosixSignalRegistration"/>.</summary>
    public static void Restore()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = Signal(SigInt, IntPtr.Zero); // SIG_DFL
        }
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial IntPtr Signal(int signal, IntPtr handler);
}
