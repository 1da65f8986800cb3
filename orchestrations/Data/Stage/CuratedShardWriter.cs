using System.Security.Cryptography;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Pipeline;

namespace GenAiServerless.Data;

/// <summary>The second fan-out: copies one shard's surviving records into the curated output files, per split, at most
/// <see cref="DataPolicy.ShardRecords"/> records a file, named <c>{split}-{shard:D5}-{part:D3}.jsonl</c>.</summary>
/// <remarks>Lines are copied as the shard step wrote them (no re-serialisation); each output is streamed with its SHA-256
/// computed on the way, so memory does not grow with the shard. Idempotent: a retry rewrites the same files.</remarks>
public static class CuratedShardWriter
{
    public static async Task<WrittenShard> RunAsync(IDataStore store, DataShardTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(task);
        (DataPrepInput input, DataShard shard) = (task.Input, task.Shard);
        HashSet<int> drops = await ReadDropsAsync(store, input, shard.Index, cancellationToken);
        byte[] splits = (await store.ReadAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Splits), cancellationToken))?.ToArray() ?? [];
        Stream records = await store.OpenReadAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Records), cancellationToken)
            ?? throw new InvalidOperationException($"shard {shard.Index} of run {input.RunId} has no records file");
        var outputs = new List<ShardInfo>();
        var open = new Output?[3];
        var parts = new int[3];
        await using (records)
        {
            using var lines = new Utf8LineSplitter(records, 256 * 1024 * 1024);
            for (int ordinal = 0; await lines.ReadLineAsync(cancellationToken); ordinal++)
            {
                if (drops.Contains(ordinal))
                {
                    continue;
                }

                var split = (DataSplit)splits[ordinal];
                Output output = open[(int)split] ??= await Output.OpenAsync(store, $"{input.Model}/{input.RunId}/{Name(split)}-{shard.Index:D5}-{parts[(int)split]++:D3}.jsonl", split, cancellationToken);
                output.Write(lines.Line.Span);
                if (output.Records == input.Policy.ShardRecords)
                {
                    outputs.Add(await output.CloseAsync());
                    open[(int)split] = null;
                }
            }
        }

        foreach (Output? output in open)
        {
            if (output is not null)
            {
                outputs.Add(await output.CloseAsync());
            }
        }

        return new WrittenShard(shard.Index, [.. outputs.OrderBy(o => o.Blob, StringComparer.Ordinal)]);
    }

    static string Name(DataSplit split) => split.ToString().ToLowerInvariant();

    static async Task<HashSet<int>> ReadDropsAsync(IDataStore store, DataPrepInput input, int shard, CancellationToken cancellationToken)
    {
        BinaryData? data = await store.ReadAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard, WorkFiles.Drops), cancellationToken)
            ?? throw new InvalidOperationException($"shard {shard} of run {input.RunId} has no deduplication decisions: run the fan-in first");
        using var reader = new BinaryReader(data.ToStream());
        int count = reader.ReadInt32();
        var drops = new HashSet<int>(count);
        for (int i = 0; i < count; i++)
        {
            drops.Add(reader.ReadInt32());
        }

        return drops;
    }

    sealed class Output(Stream stream, string name, DataSplit split)
    {
        readonly IncrementalHash sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public int Records { get; private set; }

        public static async Task<Output> OpenAsync(IDataStore store, string name, DataSplit split, CancellationToken cancellationToken) =>
            new(await store.OpenWriteAsync(PipelineStorage.Curated, name, cancellationToken), name, split);

        public void Write(ReadOnlySpan<byte> line)
        {
            stream.Write(line);
            stream.WriteByte((byte)'\n');
            sha.AppendData(line);
            sha.AppendData("\n"u8);
            Records++;
        }

        public async Task<ShardInfo> CloseAsync()
        {
            await stream.DisposeAsync();
            string hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            sha.Dispose();
            return new ShardInfo($"{PipelineStorage.Curated}/{name}", split, Records, hash);
        }
    }
}
