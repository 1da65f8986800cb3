namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>One ARM request as the emulator received it, for tests that assert the exact request a client sent.</summary>
public sealed record ArmRequestRecord(DateTimeOffset At, string Method, string Path, string Query, string? Body, int Status);

/// <summary>The last ARM requests (method, path, query, body, status), newest last.</summary>
sealed class ArmRequestLog
{
    const int Capacity = 2000;
    readonly Lock gate = new();
    readonly Queue<ArmRequestRecord> records = new();

    public void Add(ArmRequestRecord record)
    {
        lock (gate)
        {
            records.Enqueue(record);
            while (records.Count > Capacity)
            {
                records.Dequeue();
            }
        }
    }

    public ArmRequestRecord[] Snapshot()
    {
        lock (gate)
        {
            return [.. records];
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            records.Clear();
        }
    }
}
