using System.IO.Hashing;
using System.Text;
using GenAiServerless.Data;
using GenAiServerless.Tests.Orchestrations.Data.Dedup;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>A model's sequence of seeded drops, each with fresh records, near and exact copies of records curated by
/// earlier drops, and duplicates within itself; and a hash of what a run curated.</summary>
internal sealed class ModelDrops(string root)
{
    const int Fresh = 40;

    /// <summary>Fan-in scratch folders are named by run id: ids of their own keep tests that run at once apart.</summary>
    readonly string runs = $"t{Guid.NewGuid():N}"[..9];

    public string In => Path.Combine(root, "in");

    /// <summary>The run of the <paramref name="drop"/>-th drop.</summary>
    public string RunId(int drop) => $"{runs}-run-{drop}";

    /// <summary>The <paramref name="drop"/>-th drop's file (1, 2, …), written once.</summary>
    public DropBlob Drop(int drop)
    {
        string name = $"drop-{drop}.jsonl";
        string path = Path.Combine(In, name);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(In);
            File.WriteAllText(path, Lines(drop));
        }

        return new DropBlob(name, name + "-v1", new FileInfo(path).Length);
    }

    public DataPrepInput Input(int drop, DropBlob blob, DataPolicy? policy = null) =>
        new("shop", RunId(drop), [blob], policy ?? Policy);

    public static DataPolicy Policy => new(0.1, 0.1, 2000, 1000, DataQualityPresets.Off);

    public Task<DataPrepResult> RunAsync(string output, int drop, DataPolicy? policy = null, TimeProvider? clock = null) =>
        DataStage.RunAsync(new FolderDataStore(In, output), Input(drop, Drop(drop), policy), NullLogger.Instance, CancellationToken.None, clock: clock);

    /// <summary>A run that gets as far as its fan-in (its index segment and manifest written) and then fails: no data manifest.</summary>
    public async Task FanInOnlyAsync(string output, int drop, DataPolicy? policy = null)
    {
        var store = new FolderDataStore(In, output);
        DataPrepInput input = Input(drop, Drop(drop), policy);
        DataShardPlan plan = await ShardPlanner.PlanAsync(store, input, CancellationToken.None);
        var results = new List<DataShardResult>();
        foreach (DataShard shard in plan.Shards)
        {
            results.Add(await ShardCurator.RunAsync(store, new DataShardTask(DataShardTask.InputFor(input), shard), CancellationToken.None));
        }

        await DropDeduplicator.RunAsync(store, new DataDedupTask(input, plan, results), 1, CancellationToken.None);
    }

    /// <summary>The model's files below <c>curated/shop/</c> whose path starts with <paramref name="prefix"/>, by path.</summary>
    public static SortedDictionary<string, byte[]> Files(string output, string prefix)
    {
        string model = Path.Combine(output, "curated", "shop");
        return new(Directory.GetFiles(model, "*", SearchOption.AllDirectories)
            .Select(f => (Path: Path.GetRelativePath(model, f).Replace(Path.DirectorySeparatorChar, '/'), File: f))
            .Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(f => f.Path, f => File.ReadAllBytes(f.File)), StringComparer.Ordinal);
    }

    /// <summary>What the run curated (its split files and dropped.jsonl, by name and content, with the input folder's
    /// path and the runs' own prefix taken out): equal hashes mean byte-identical outputs wherever the test ran.</summary>
    public string OutputsHash(string output, int drop)
    {
        string folder = Path.Combine(output, "curated", "shop", RunId(drop));
        var hash = new XxHash128();
        foreach (string file in Directory.GetFiles(folder)
            .Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            hash.Append(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            hash.Append(Encoding.UTF8.GetBytes(File.ReadAllText(file).Replace(In, "<in>", StringComparison.Ordinal).Replace($"@{runs}-", "@", StringComparison.Ordinal)));
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>80 words of record <paramref name="record"/> of drop <paramref name="drop"/>.</summary>
    static string[] Text(int drop, int record) => DedupTexts.WordList(new Random((drop * 1000) + record), 80);

    /// <summary>The text with one word replaced: exact Jaccard ≈ 0.88 with the original (5 of 76 shingles change).</summary>
    static string Edited(string[] words, string edit)
    {
        var copy = (string[])words.Clone();
        copy[40] = edit;
        return string.Join(' ', copy);
    }

    static string Lines(int drop)
    {
        var texts = new List<string>();
        for (int i = 0; i < Fresh; i++)
        {
            texts.Add(string.Join(' ', Text(drop, i)));
        }

        // Within the drop: three near copies and two exact copies of its own records.
        for (int i = 0; i < 3; i++)
        {
            texts.Add(Edited(Text(drop, (i * 7) + 1), $"own{drop}x{i}"));
        }

        texts.Add(string.Join(' ', Text(drop, 5)));
        texts.Add(string.Join(' ', Text(drop, 6)));

        // Against earlier drops: near copies and exact copies of records they curated (found in the model's index).
        for (int earlier = 1; earlier < drop; earlier++)
        {
            texts.Add(Edited(Text(earlier, drop + 10), $"late{drop}x{earlier}"));
            texts.Add(string.Join(' ', Text(earlier, drop + 20)));
        }

        // A second near copy of one earlier record: both copies and the index entry form one cluster.
        if (drop >= 3)
        {
            texts.Add(Edited(Text(1, drop + 10), $"again{drop}"));
        }

        var order = new Random(drop);
        var sb = new StringBuilder();
        int id = 0;
        foreach (string text in texts.OrderBy(_ => order.Next()))
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $$"""{"id":"d{{drop}}-{{id++}}","text":"{{text}}"}""").Append('\n');
        }

        return sb.ToString();
    }
}
