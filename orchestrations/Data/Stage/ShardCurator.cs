using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GenAiServerless.Data.Dedup;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Data.Quality;
using GenAiServerless.Platform;

namespace GenAiServerless.Data;

/// <summary>The fan-out step: reads one shard, validates, normalises, redacts and filters its records, and streams
/// the survivors (with their text hash and MinHash signature) and the records it drops into the run's working files.
/// Memory is one record plus write buffers, whatever the shard's size.</summary>
/// <remarks>Idempotent: a retry rewrites the same working files. Exact and near-duplicate removal happen in the fan-in,
/// where every shard's records meet (<see cref="DropDeduplicator"/>).</remarks>
public static class ShardCurator
{
    static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    public static async Task<DataShardResult> RunAsync(IDataStore store, DataShardTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(task);
        (DataPrepInput input, DataShard shard) = (task.Input, task.Shard);
        DataPolicy policy = input.Policy;
        string file = store.InputName(shard.Drop);
        var preparer = new RecordPreparer(policy.ValidationFraction, policy.TestFraction, policy.MaxRecordChars, DataQualityPresets.Create(policy.QualityPreset), policy.Schema);
        var counts = new Counts();
        if (shard.Drop.Length == 0)
        {
            return counts.Result(shard, "empty file (0 bytes)");
        }

        if (!InputFormats.TryDetect(shard.Drop.BlobName, out InputFormat format, out string formatError))
        {
            return counts.Result(shard, formatError);
        }

        InputOptions options = (policy.Inputs ?? InputOptions.Default) with
        {
            // A CSV range after the first is read with the file's header before it, which takes one line.
            LineOffset = shard.FirstLine - (shard.CsvHeader is null ? 1 : 2),
        };

        await using Stream records = await store.OpenWriteAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Records), cancellationToken);
        await using Stream splits = await store.OpenWriteAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Splits), cancellationToken);
        await using Stream signatureStream = await store.OpenWriteAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Signatures), cancellationToken);
        await using Stream filteredStream = await store.OpenWriteAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Filtered), cancellationToken);
        await using Stream rejectStream = await store.OpenWriteAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Rejects), cancellationToken);
        using var signatures = new BinaryWriter(signatureStream, Encoding.UTF8, leaveOpen: true);
        var line = new ArrayBufferWriter<byte>(4096);
        using var curatedWriter = new Utf8JsonWriter(line, Compact);
        uint[] signature = new uint[MinHasher.SignatureLength];

        void Write<T>(Stream target, T entry, JsonTypeInfo<T> json)
        {
            line.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(line, Compact))
            {
                JsonSerializer.Serialize(writer, entry, json);
            }

            line.Write("\n"u8);
            target.Write(line.WrittenSpan);
        }

        string? fileError = null;
        Stream source = shard.IsWholeFile
            ? await store.OpenInputAsync(shard.Drop, cancellationToken)
            : await store.OpenInputRangeAsync(shard.Drop, shard.Offset, shard.Length, cancellationToken);
        if (shard.CsvHeader is not null)
        {
            source = new ConcatStream(Encoding.UTF8.GetBytes(shard.CsvHeader), source);
        }

        await using (source)
        {
            try
            {
                await foreach (SourceItem item in InputReader.ReadAsync(file, format, source, options, cancellationToken))
                {
                    counts.Records++;
                    if (item is UnreadableRecord unreadable)
                    {
                        counts.InvalidUtf8 += unreadable.Reason == InvalidUtf8.Reason ? 1 : 0;
                        counts.Reject(unreadable.Reason, $"line {unreadable.Position}: {unreadable.Detail}");
                        Write(rejectStream, unreadable.ToRejectedRecord(), DataJson.Lines.RejectedRecord);
                        continue;
                    }

                    var record = (SourceRecord)item;
                    PreparedRecord prepared = preparer.Prepare(file, record.Position, record.Json);
                    if (prepared.Record is not { } curated)
                    {
                        counts.InvalidJson += prepared.IsInvalidJson ? 1 : 0;
                        counts.Reject(prepared.Reason!, $"line {record.Position}: {prepared.Detail}");
                        Write(rejectStream, new RejectedRecord(file, record.Position, prepared.Reason!, prepared.Detail!, record.RawForQuarantine), DataJson.Lines.RejectedRecord);
                        continue;
                    }

                    if (prepared.Filtered is { } decision)
                    {
                        string rule = decision.Rule ?? "quality";
                        counts.Filtered[rule] = counts.Filtered.GetValueOrDefault(rule) + 1;
                        Write(filteredStream, new DroppedRecord(curated.Id, curated.Source, rule, Detail: decision.Detail), DataJson.Lines.DroppedRecord);
                        continue;
                    }

                    counts.Pii += prepared.Pii;
                    counts.Candidates++;
                    WriteCurated(records, line, curatedWriter, curated);
                    splits.WriteByte((byte)curated.Split);
                    WriteSignature(signatures, signature, curated, Order(shard.FileIndex, record.Position), input.RunId);
                }
            }
            catch (UnreadableFileException e)
            {
                fileError = e.Reason;
            }
        }

        return counts.Result(shard, fileError);
    }

    /// <summary>A record's place in the drop: file, then line. The earliest of a set of duplicates is the one kept.</summary>
    public static long Order(int fileIndex, long line) => ((long)fileIndex << 40) | line;

    /// <summary>One curated output line: <c>{"id","text","prompt","response","source","meta"}</c>, nulls left out.</summary>
    static void WriteCurated(Stream target, ArrayBufferWriter<byte> line, Utf8JsonWriter writer, CuratedRecord record)
    {
        line.ResetWrittenCount();
        writer.Reset(line);
        writer.WriteStartObject();
        writer.WriteString("id"u8, record.Id);
        writer.WriteString("text"u8, record.Text);
        if (record.Prompt is not null)
        {
            writer.WriteString("prompt"u8, record.Prompt);
        }

        if (record.Response is not null)
        {
            writer.WriteString("response"u8, record.Response);
        }

        writer.WriteString("source"u8, record.Source);
        if (record.Metadata is not null)
        {
            writer.WritePropertyName("meta"u8);
            writer.WriteRawValue(record.Metadata, skipInputValidation: true);
        }

        writer.WriteEndObject();
        writer.Flush();

        line.Write("\n"u8);
        target.Write(line.WrittenSpan);
    }

    /// <summary>order, id, near-duplicate key (<see cref="NearDuplicateStep.Key"/>), 128-bit text hash, shingle count and
    /// (for a text with words) the signature.</summary>
    static void WriteSignature(BinaryWriter writer, uint[] signature, CuratedRecord record, long order, string runId)
    {
        writer.Write(order);
        writer.Write(record.Id);
        writer.Write(NearDuplicateStep.Key(record.Source, runId));
        // The exact-duplicate key: a hash of the text's UTF-16 code units (equal texts, equal keys; only compared within a run).
        UInt128 hash = XxHash128.HashToUInt128(System.Runtime.InteropServices.MemoryMarshal.AsBytes(record.Text.AsSpan()));
        writer.Write((ulong)(hash >> 64));
        writer.Write((ulong)hash);
        int shingles = MinHasher.Default.Compute(record.Text, signature);
        writer.Write(shingles);
        if (shingles > 0)
        {
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(signature.AsSpan()));
        }
    }

    sealed class Counts
    {
        public long Records;
        public long InvalidJson;
        public long InvalidUtf8;
        public long Candidates;
        public PiiCounts Pii;
        public string? FirstError;
        public Dictionary<string, long> Rejected { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, long> Filtered { get; } = new(StringComparer.Ordinal);

        public void Reject(string reason, string detail)
        {
            FirstError ??= detail;
            Rejected[reason] = Rejected.GetValueOrDefault(reason) + 1;
        }

        public DataShardResult Result(DataShard shard, string? fileError) =>
            new(shard.Index, shard.FileIndex, Records, InvalidJson, Candidates, fileError, FirstError, Pii, Rejected, Filtered, InvalidUtf8);
    }
}

/// <summary>A few bytes (a CSV header, the bytes a reader sniffed) followed by a stream; disposing it disposes the stream.</summary>
sealed class ConcatStream(byte[] head, Stream tail) : ForwardReadStream(tail)
{
    int headRead;

    public override int Read(Span<byte> buffer)
    {
        if (headRead < head.Length)
        {
            int n = Math.Min(buffer.Length, head.Length - headRead);
            head.AsSpan(headRead, n).CopyTo(buffer);
            headRead += n;
            return n;
        }

        return Inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        headRead < head.Length ? ValueTask.FromResult(Read(buffer.Span)) : Inner.ReadAsync(buffer, cancellationToken);
}
