using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using GenAiServerless.Data.Dedup;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Pipeline;

namespace GenAiServerless.Data;

/// <summary>The fan-in: exact and near-duplicate removal across every shard of the drop and against the model's index,
/// staged the way datatrove and NeMo Curator stage it — signatures, bands, candidate pairs, clusters, keep one.</summary>
/// <remarks>
/// <para>Exact duplicates: the 128-bit hash of the normalised text; the earliest record (file, then line) is kept.</para>
/// <para>Near duplicates: LSH over the shards' signatures finds candidate pairs; a pair within the drop is a near
/// duplicate when the exact Jaccard similarity of its word 5-gram sets reaches <see cref="LshOptions.ExactThreshold"/>
/// (the texts are re-read from the working files, only for records in a candidate pair); a pair with a record curated
/// by an earlier drop, whose text is no longer at hand, is judged on the 128-value signature estimate. Clusters are
/// the connected components of the confirmed pairs; each keeps its earliest member.</para>
/// <para>Memory: the drop's signatures and hashes (≈ 0.6 KB a record: they become part of the index) and the shingle
/// sets of the records in candidate pairs.</para>
/// </remarks>
public static class DropDeduplicator
{
    public static async Task<DataDedupResult> RunAsync(IDataStore store, DataDedupTask task, int maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(task);
        DataPrepInput input = task.Input;
        SortedDictionary<int, string> badFiles = DataShardOutcomes.BadFiles(task.Plan, task.Shards);
        List<DataShard> good = [.. task.Plan.Shards.Where(s => !badFiles.ContainsKey(s.FileIndex)).OrderBy(s => s.Index)];
        Dictionary<int, long> candidates = task.Shards.ToDictionary(r => r.Index, r => r.Candidates);

        // 1. Read every shard's signatures; drop exact duplicates on the way (shards in drop order, so the first seen is kept).
        var firstOfText = new Dictionary<UInt128, string>();
        var records = new Dictionary<string, (int Shard, int Ordinal)>(StringComparer.Ordinal);
        var idsOf = new Dictionary<int, List<string>>();
        var dropped = good.ToDictionary(s => s.Index, _ => new SortedDictionary<int, string>());
        var batches = new List<SignatureBatch>();
        long exact = 0;
        var signature = new uint[MinHasher.SignatureLength];
        foreach (DataShard shard in good)
        {
            var batch = new SignatureBatch((int)Math.Min(candidates.GetValueOrDefault(shard.Index), 1 << 20));
            var ids = idsOf[shard.Index] = new List<string>((int)Math.Min(candidates.GetValueOrDefault(shard.Index), 1 << 20));
            Stream? stream = await store.OpenReadAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Signatures), cancellationToken)
                ?? throw new InvalidOperationException($"shard {shard.Index} of run {input.RunId} has no signatures file: was it curated?");
            await using (stream)
            {
                using var reader = new BinaryReader(new BufferedStream(stream, 64 * 1024), Encoding.UTF8);
                for (int ordinal = 0; ordinal < candidates.GetValueOrDefault(shard.Index); ordinal++)
                {
                    long order = reader.ReadInt64();
                    string id = reader.ReadString();
                    string key = reader.ReadString();
                    ids.Add(id);
                    UInt128 hash = new(reader.ReadUInt64(), reader.ReadUInt64());
                    int shingles = reader.ReadInt32();
                    if (shingles > 0)
                    {
                        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(signature.AsSpan()));
                    }

                    if (firstOfText.TryGetValue(hash, out string? first))
                    {
                        exact++;
                        dropped[shard.Index][ordinal] = Line(new { id, source = SourceOf(key, input.RunId), rule = "exact_duplicate", duplicateOf = first });
                        continue;
                    }

                    firstOfText[hash] = id;
                    if (shingles > 0)
                    {
                        records[key] = (shard.Index, ordinal);
                        batch.Add(key, order, signature);
                    }
                }
            }

            batches.Add(batch);
        }

        firstOfText.Clear();
        firstOfText.TrimExcess();

        // 2. Candidate pairs on signatures; within the drop confirmed on exact Jaccard (texts re-read for the records in a pair).
        (LshIndex index, string? baseRun) = await NearDuplicateStep.LoadAsync(store, input.Model, input.RunId, cancellationToken);
        NearDuplicateFindings findings = await NearDuplicateFinder.FindAsync(
            index, batches, wanted => LoadShinglesAsync(store, input, records, wanted, cancellationToken), maxDegreeOfParallelism, commit: false);
        NearDuplicateOutcome near = findings.Outcome;
        IReadOnlyDictionary<string, ulong[]> shingleSets = findings.ShingleSets;
        foreach (NearDuplicate d in near.Dropped)
        {
            (int shard, int ordinal) = records[d.Id];
            string id = idsOf[shard][ordinal];
            string source = SourceOf(d.Id, input.RunId);
            // duplicateOf: the record kept for the cluster; matchedWith: the record this one was verified against, and
            // their exact Jaccard (within the drop) or the signature estimate (a record of an earlier drop).
            bool inDrop = shingleSets.TryGetValue(d.MatchedWith, out ulong[]? matched) && shingleSets.ContainsKey(d.Id);
            dropped[shard][ordinal] = inDrop
                ? Line(new { id, source, rule = "near_duplicate", duplicateOf = d.DuplicateOf, matchedWith = d.MatchedWith, jaccard = Math.Round(NearDuplicateFinder.Jaccard(shingleSets[d.Id], matched!), 3) })
                : Line(new { id, source, rule = "near_duplicate", duplicateOf = d.DuplicateOf, matchedWith = d.MatchedWith, estimatedJaccard = Math.Round(d.EstimatedJaccard, 3) });
        }

        await NearDuplicateStep.SaveAsync(store, input.Model, input.RunId, index, baseRun, cancellationToken, findings.Drop);

        // 3. Each shard's decisions, for the writers and the manifest.
        foreach ((int shard, SortedDictionary<int, string> lines) in dropped)
        {
            using var ordinals = new MemoryStream();
            using (var writer = new BinaryWriter(ordinals, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(lines.Count);
                foreach (int ordinal in lines.Keys)
                {
                    writer.Write(ordinal);
                }
            }

            await store.WriteAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard, WorkFiles.Drops), new BinaryData(ordinals.ToArray()), cancellationToken);
            await store.WriteAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard, WorkFiles.Duplicates), BinaryData.FromString(string.Concat(lines.Values)), cancellationToken);
        }

        return new DataDedupResult(exact, near.Dropped.Count, near.CandidatePairs, near.VerifiedPairs, findings.ExactChecks, index.Count + (findings.Drop.KeptCount));
    }

    /// <summary>The sorted, distinct shingle hashes of the <paramref name="wanted"/> records, read back from the shards'
    /// working files (only shards that hold one are read).</summary>
    static async Task<Dictionary<string, ulong[]>> LoadShinglesAsync(
        IDataStore store, DataPrepInput input, Dictionary<string, (int Shard, int Ordinal)> records, IReadOnlySet<string> wanted, CancellationToken cancellationToken)
    {
        var sets = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        char[] text = new char[16 * 1024];
        foreach (IGrouping<int, (int Ordinal, string Key)> shard in wanted
            .Where(records.ContainsKey)
            .Select(k => (records[k].Shard, records[k].Ordinal, Key: k))
            .GroupBy(r => r.Shard, r => (r.Ordinal, r.Key))
            .OrderBy(g => g.Key))
        {
            var byOrdinal = shard.ToDictionary(r => r.Ordinal, r => r.Key);
            Stream stream = await store.OpenReadAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Key, WorkFiles.Records), cancellationToken)
                ?? throw new InvalidOperationException($"shard {shard.Key} of run {input.RunId} has no records file");
            await using (stream)
            {
                using var lines = new Utf8LineSplitter(stream, 256 * 1024 * 1024);
                for (int ordinal = 0; await lines.ReadLineAsync(cancellationToken); ordinal++)
                {
                    if (byOrdinal.TryGetValue(ordinal, out string? key))
                    {
                        sets[key] = ShingleSetOfLine(lines.Line.Span, ref text);
                    }
                }
            }
        }

        return sets;
    }

    /// <summary>The shingle set of a curated line's <c>text</c>, unescaped into a reused buffer (no string per record).</summary>
    static ulong[] ShingleSetOfLine(ReadOnlySpan<byte> line, ref char[] text)
    {
        var reader = new Utf8JsonReader(line);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                int escaped = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (text.Length < escaped)
                {
                    text = new char[escaped];
                }

                // The unescaped text has at most as many UTF-16 units as its escaped UTF-8 bytes.
                return MinHasher.ShingleSet(text.AsSpan(0, reader.CopyString(text)));
            }
        }

        throw new InvalidDataException("a curated working line has no 'text'");
    }

    /// <summary>The source (file:line) of a near-duplicate key "{source}@{run}".</summary>
    static string SourceOf(string key, string runId) => key[..^(runId.Length + 1)];

    static string Line(object entry) => JsonSerializer.Serialize(entry, WorkFiles.LineJson) + "\n";
}
