using System.Security.Cryptography;
using System.Text.Json;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Platform;
using Parquet;
using Parquet.Schema;

namespace GenAiServerless.Data;

/// <summary>The second fan-out: copies one shard's surviving records into the curated output files, per split, at most
/// <see cref="DataPolicy.ShardRecords"/> records a file, named <c>{split}-{shard:D5}-{part:D3}.jsonl</c>.</summary>
/// <remarks>Lines are copied as the shard step wrote them (no re-serialisation); each output is streamed with its SHA-256
/// computed on the way, so memory does not grow with the shard (with <see cref="DataPolicy.ParquetOutput"/>, one output
/// file's rows are held for its Parquet twin). Idempotent: a retry rewrites the same files.</remarks>
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
                Output output = open[(int)split] ??= await Output.OpenAsync(
                    store, $"{input.Model}/{input.RunId}/{Name(split)}-{shard.Index:D5}-{parts[(int)split]++:D3}.jsonl", split, input.Policy.ParquetOutput, cancellationToken);
                output.Write(lines.Line.Span);
                if (output.Records == input.Policy.ShardRecords)
                {
                    outputs.AddRange(await output.CloseAsync(cancellationToken));
                    open[(int)split] = null;
                }
            }
        }

        foreach (Output? output in open)
        {
            if (output is not null)
            {
                outputs.AddRange(await output.CloseAsync(cancellationToken));
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

    sealed class Output(IDataStore store, Stream stream, string name, DataSplit split, ParquetRows? parquet)
    {
        readonly IncrementalHash sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public int Records { get; private set; }

        public static async Task<Output> OpenAsync(IDataStore store, string name, DataSplit split, bool parquet, CancellationToken cancellationToken) =>
            new(store, await store.OpenWriteAsync(PipelineStorage.Curated, name, cancellationToken), name, split, parquet ? new ParquetRows() : null);

        public void Write(ReadOnlySpan<byte> line)
        {
            stream.Write(line);
            stream.WriteByte((byte)'\n');
            sha.AppendData(line);
            sha.AppendData("\n"u8);
            parquet?.Add(line);
            Records++;
        }

        /// <summary>Closes the JSONL file (and writes its Parquet twin); the outputs, JSONL first.</summary>
        public async Task<IReadOnlyList<ShardInfo>> CloseAsync(CancellationToken cancellationToken)
        {
            await stream.DisposeAsync();
            string hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            sha.Dispose();
            var written = new List<ShardInfo> { new($"{PipelineStorage.Curated}/{name}", split, Records, hash) };
            if (parquet is not null)
            {
                string parquetName = Path.ChangeExtension(name, ".parquet");
                byte[] bytes = await parquet.ToParquetAsync(cancellationToken);
                await store.WriteAsync(PipelineStorage.Curated, parquetName, new BinaryData(bytes), cancellationToken);
                written.Add(new ShardInfo($"{PipelineStorage.Curated}/{parquetName}", split, Records, Convert.ToHexStringLower(SHA256.HashData(bytes))));
            }

            return written;
        }
    }

    /// <summary>The rows of one output file, kept until it is closed and written as one Parquet row group (at most
    /// <see cref="DataPolicy.ShardRecords"/> rows).</summary>
    sealed class ParquetRows
    {
        // Fields belong to one writer: a ParquetSchema sets each field's path and levels as it is built, so fields shared
        // between writers running at once (two shards on two threads) could be written under each other's columns.
        readonly DataField<string> Id = new("id");
        readonly DataField<string> Text = new("text");
        readonly DataField<string> Prompt = new("prompt");
        readonly DataField<string> Response = new("response");
        readonly DataField<string> Source = new("source");
        readonly DataField<string> Meta = new("meta");
        readonly List<string> ids = [], texts = [], sources = [], prompts = [], responses = [], metas = [];

        public void Add(ReadOnlySpan<byte> line)
        {
            var reader = new Utf8JsonReader(line);
            using JsonDocument doc = JsonDocument.ParseValue(ref reader);
            JsonElement root = doc.RootElement;
            ids.Add(root.GetProperty("id").GetString()!);
            texts.Add(root.GetProperty("text").GetString()!);
            prompts.Add(root.TryGetProperty("prompt", out JsonElement p) ? p.GetString()! : null!);
            responses.Add(root.TryGetProperty("response", out JsonElement r) ? r.GetString()! : null!);
            sources.Add(root.GetProperty("source").GetString()!);
            metas.Add(root.TryGetProperty("meta", out JsonElement m) ? m.GetRawText() : null!); // the column is nullable: null is a missing value
        }

        public async Task<byte[]> ToParquetAsync(CancellationToken cancellationToken)
        {
            using var buffer = new MemoryStream();
            await using (ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(Id, Text, Prompt, Response, Source, Meta), buffer, cancellationToken: cancellationToken))
            {
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                await group.WriteAsync(Id, ids);
                await group.WriteAsync(Text, texts);
                await group.WriteAsync(Prompt, prompts);
                await group.WriteAsync(Response, responses);
                await group.WriteAsync(Source, sources);
                await group.WriteAsync(Meta, metas);
            }

            return buffer.ToArray();
        }
    }
}
