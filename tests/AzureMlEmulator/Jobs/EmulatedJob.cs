using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Processes;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary>Why a running job's process was killed.</summary>
enum JobInterruption
{
    None,
    Cancel,
    PreemptRequeue,
    PreemptFail,
    Timeout,
}

/// <summary>One status a job passed through, with when and in which attempt.</summary>
public sealed record JobStatusChange(string Status, DateTimeOffset At, int Attempt);

/// <summary>A Command job: its ARM body, its status as ARM shows it, and what only the control API shows (attempts,
/// exit code, stderr tail, log files).</summary>
sealed class EmulatedJob(WorkspaceScope scope, string name, JsonObject body, bool lowPriority, DateTimeOffset created)
{
    public static readonly string[] TerminalStatuses = ["Completed", "Failed", "Canceled"];

    public Lock Gate { get; } = new();

    public WorkspaceScope Scope { get; } = scope;

    public string Name { get; } = name;

    /// <summary>The job as PUT (outputs completed with their default URIs), without read-only fields.</summary>
    public JsonObject Body { get; } = body;

    /// <summary>Runs on low-priority capacity (<c>queueSettings.jobTier: Spot</c> or a LowPriority cluster): it can be preempted.</summary>
    public bool LowPriority { get; } = lowPriority;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Modified { get; private set; } = created;

    public string Status { get; private set; } = "NotStarted";

    public List<JobStatusChange> History { get; } = [new("NotStarted", created, 0)];

    public int Attempt { get; set; }

    public ChildProcess? Process { get; set; }

    /// <summary>Why the running process is being killed (read and cleared when it exits).</summary>
    public JobInterruption Interruption { get; set; }

    /// <summary>Set by a cancel: the job ends Canceled at its next step, whatever it was doing.</summary>
    public bool CancelRequested { get; set; }

    public int? ExitCode { get; set; }

    /// <summary>Why the job failed (exit code, preemption, timeout, a missing input): control API only, as ARM jobs carry no error.</summary>
    public string? Failure { get; set; }

    public string? StderrTail { get; set; }

    public string? AttemptFolder { get; set; }

    /// <summary>Output name → local folder of the running attempt (where progress.json is looked for).</summary>
    public IReadOnlyDictionary<string, string> OutputFolders { get; set; } = new Dictionary<string, string>();

    public Operation? CancelOperation { get; set; }

    public bool IsTerminal => TerminalStatuses.Contains(Status, StringComparer.Ordinal);

    public JsonObject Properties => (JsonObject)Body["properties"]!;

    public string StdoutPath => Path.Combine(AttemptFolder ?? "", "user_logs", "std_out.txt");

    public string StderrPath => Path.Combine(AttemptFolder ?? "", "user_logs", "std_err.txt");

    /// <summary>Moves to a status; callers hold <see cref="Gate"/>.</summary>
    public void SetStatus(string status, DateTimeOffset at)
    {
        if (string.Equals(Status, status, StringComparison.Ordinal))
        {
            return;
        }

        Status = status;
        Modified = at;
        History.Add(new JobStatusChange(status, at, Attempt));
    }
}
