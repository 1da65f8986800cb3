using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary>Every job of every workspace. A job id is unique within its workspace; the control API finds a job by id
/// alone (ambiguous ids across workspaces are refused there).</summary>
sealed class JobStore
{
    readonly Lock gate = new();
    readonly Dictionary<string, EmulatedJob> jobs = new(StringComparer.Ordinal);

    /// <summary>Adds the job unless one with this id exists; returns the stored one and whether it is new.</summary>
    public (EmulatedJob Job, bool Created) AddOrGet(EmulatedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (gate)
        {
            string key = Key(job.Scope, job.Name);
            if (jobs.TryGetValue(key, out EmulatedJob? existing))
            {
                return (existing, false);
            }

            jobs[key] = job;
            return (job, true);
        }
    }

    public EmulatedJob? Find(WorkspaceScope scope, string name)
    {
        lock (gate)
        {
            return jobs.GetValueOrDefault(Key(scope, name));
        }
    }

    public EmulatedJob[] FindByName(string name)
    {
        lock (gate)
        {
            return [.. jobs.Values.Where(j => string.Equals(j.Name, name, StringComparison.Ordinal))];
        }
    }

    public EmulatedJob[] List(WorkspaceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (gate)
        {
            return [.. jobs.Values.Where(j => j.Scope.SameWorkspace(scope)).OrderBy(j => j.Created)];
        }
    }

    public EmulatedJob[] Running()
    {
        lock (gate)
        {
            return [.. jobs.Values.Where(j => string.Equals(j.Status, "Running", StringComparison.Ordinal))];
        }
    }

    static string Key(WorkspaceScope scope, string name) => scope.ChildKey("jobs/" + name);
}
