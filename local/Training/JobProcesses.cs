using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace GenAiServerless.Local.Training;

/// <summary>A job's process-group leader as recorded at its start: its pid (the group's id) and its start time, which
/// tells it apart from a later process that reuses the pid.</summary>
public readonly record struct JobProcess(int Pid, long StartTime)
{
    /// <summary>Reads <c>pid starttime</c> (or, from jobs started before the start time was kept, the pid alone).</summary>
    public static JobProcess Read(string file)
    {
        string[] parts = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new JobProcess(int.Parse(parts[0], CultureInfo.InvariantCulture), parts.Length > 1 ? long.Parse(parts[1], CultureInfo.InvariantCulture) : -1);
    }
}

/// <summary>What the local job backend knows of its jobs' processes, from <c>/proc</c>: whether a job's group leader
/// still runs, and the means to end a whole group and see it gone.</summary>
public static partial class JobProcesses
{
    /// <summary>The start time of <paramref name="pid"/> in clock ticks since boot (field 22 of <c>/proc/{pid}/stat</c>);
    /// −1 when it cannot be read.</summary>
    public static long StartTime(int pid) => Stat(pid) is { } stat ? stat.StartTime : -1;

    /// <summary>True while the leader runs (not a zombie) and is still the process that was started.</summary>
    public static bool IsAlive(JobProcess leader) =>
        Stat(leader.Pid) is { } stat && stat.State != 'Z' && (leader.StartTime < 0 || stat.StartTime == leader.StartTime);

    /// <summary>The live processes of the group <paramref name="groupId"/>.</summary>
    public static IReadOnlyList<int> GroupMembers(int groupId)
    {
        var members = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out int pid) && Stat(pid) is { } stat && stat.Group == groupId && stat.State != 'Z')
            {
                members.Add(pid);
            }
        }

        return members;
    }

    /// <summary>SIGKILLs every process of the group and waits until none is left (or <paramref name="timeout"/> passes).</summary>
    /// <returns>True when the group is gone.</returns>
    public static bool KillGroup(int groupId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<int> members = GroupMembers(groupId);
            if (members.Count == 0)
            {
                return true;
            }

            _ = Kill(-groupId, 9);
            foreach (int pid in members)
            {
                // a member that left the group's signal (moved away, or the group leader's id reused) still goes
                _ = Kill(pid, 9);
            }

            if (watch.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>State, group and start time from <c>/proc/{pid}/stat</c> ("pid (comm) state ppid pgrp …"; the command
    /// may hold spaces and parentheses, so fields are counted after the last ')').</summary>
    static (char State, int Group, long StartTime)? Stat(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            string[] fields = stat[(close + 2)..].Split(' ');

            // fields[0] is field 3 (state); pgrp is field 5, starttime field 22.
            return (fields[0][0], int.Parse(fields[2], CultureInfo.InvariantCulture), long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
