using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using GenAiServerless.Data.Dedup;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Platform;

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
/// <para>Memory: the drop's band keys, signatures and ids are spilled to local scratch files as they are read
/// (<see cref="SpilledDrop"/>); what stays in memory is a few bytes a record (the exact-duplicate table while the
/// signatures are read, the union-find, one band's keys at a time) and the shingle sets of the records in candidate
/// pairs. Only the model's index, loaded whole, grows with everything curated before.</para>
/// </remarks>
public static class DropDeduplicator
{
    public static async Task<DataDedupResult> RunAsync(IDataStore store, DataDedupTask task, int maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(task);
        DataPrepInput input = task.Input;
        SortedDictionary<int, string> badFiles = DataShardOutcomes.BadFiles(task.Plan, task.Shards);
        var shards = new CandidateMap(task.Plan.Shards.Where(s => !badFiles.ContainsKey(s.FileIndex)).OrderBy(s => s.Index), task.Shards);
        (LshIndex index, IndexManifest? baseIndex) = await NearDuplicateStep.LoadAsync(store, input.Model, input.RunId, cancellationToken);

        // 1. Read every shard's signatures in drop order (so the first record seen is the one kept): exact duplicates
        // are decided on the way, the others go into the spilled drop.
        var firstOfText = new Dictionary<UInt128, long>((int)Math.Min(shards.Count, 1 << 24));
        var exactDuplicates = new List<(long Candidate, string Id, string Key, long First)>();
        var candidateOf = new List<long>(); // record number → candidate number
        string attempt = Path.Combine(ScratchRoot(input), Guid.NewGuid().ToString("N"));
        using SpilledDropBuilder builder = index.BeginSpilledDrop(attempt);

        // Every candidate's user id, for the few that dropped.jsonl names: read back from here, not from the signatures.
        using var userIdFile = new BinaryWriter(new FileStream(attempt + ".ids", FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose), Encoding.UTF8);
        var signature = new uint[MinHasher.SignatureLength];
        await shards.ReadSignaturesAsync(store, input, signature, (candidate, order, id, key, hash, shingles) =>
        {
            userIdFile.Write(id);
            if (firstOfText.TryGetValue(hash, out long first))
            {
                exactDuplicates.Add((candidate, id, key, first));
                return;
            }

            firstOfText[hash] = candidate;
            if (shingles > 0)
            {
                builder.Add(key, order, signature);
                candidateOf.Add(candidate);
            }
        }, cancellationToken);
        firstOfText = null;

        // 2. Candidate pairs on signatures; within the drop confirmed on exact Jaccard (texts re-read for the records in a pair).
        using SpilledDrop drop = builder.Complete();
        ExactFindings findings = await NearDuplicateFinder.FindAsync(index, drop, wanted => LoadShinglesAsync(store, input, shards, candidateOf, wanted, cancellationToken));
        DropClustering clustering = findings.Clustering;
        var named = new HashSet<int>();
        var nearDuplicates = new List<int>();
        for (int record = 0; record < clustering.Root.Length; record++)
        {
            if (clustering.Root[record] != record)
            {
                nearDuplicates.Add(record);
                named.Add(record);
                named.UnionWith(new[] { clustering.Root[record], clustering.Partner[record] }.Where(r => r >= 0));
            }
        }

        // 3. The lines of dropped.jsonl: keys (file:line@run) of the records named, user ids of the duplicates and of the
        // records their exact copies kept.
        Dictionary<int, string> keys = drop.IdsOf(named);
        var idsWanted = new HashSet<long>(exactDuplicates.Select(d => d.First).Concat(nearDuplicates.Select(r => candidateOf[r])));
        Dictionary<long, string> userIds = ReadUserIds(userIdFile, idsWanted);
        var dropped = shards.Good.ToDictionary(s => s.Index, _ => new SortedDictionary<int, string>());
        foreach ((long candidate, string id, string key, long first) in exactDuplicates)
        {
            (int shard, int ordinal) = shards.Locate(candidate);
            dropped[shard][ordinal] = Line(new DroppedRecord(id, SourceOf(key, input.RunId), "exact_duplicate", DuplicateOf: userIds[first]));
        }

        foreach (int record in nearDuplicates)
        {
            (int shard, int ordinal) = shards.Locate(candidateOf[record]);
            int root = clustering.Root[record], partner = clustering.Partner[record];
            string of = root >= 0 ? keys[root] : index.IdAt(-root - 1);
            string matchedWith = partner >= 0 ? keys[partner] : partner == DropClustering.None ? of : index.IdAt(-partner - 1);
            string id = userIds[candidateOf[record]];
            string source = SourceOf(keys[record], input.RunId);
            // duplicateOf: the record kept for the cluster; matchedWith: the record this one was verified against, and
            // their exact Jaccard (within the drop) or the signature estimate (a record of an earlier drop).
            dropped[shard][ordinal] = partner >= 0 && findings.ShingleSets.TryGetValue(partner, out ulong[]? matched) && findings.ShingleSets.TryGetValue(record, out ulong[]? own)
                ? Line(new DroppedRecord(id, source, "near_duplicate", DuplicateOf: of, MatchedWith: matchedWith, Jaccard: Math.Round(NearDuplicateFinder.Jaccard(own, matched), 3)))
                : Line(new DroppedRecord(id, source, "near_duplicate", DuplicateOf: of, MatchedWith: matchedWith, EstimatedJaccard: Math.Round(index.EstimatedJaccard(drop, record, root), 3)));
        }

        await NearDuplicateStep.SaveAsync(store, input.Model, input.RunId, index, baseIndex, drop, input.Policy.Index ?? IndexPolicy.Default, cancellationToken);

        // 4. Each shard's decisions, for the writers and the manifest.
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

        return new DataDedupResult(exactDuplicates.Count, nearDuplicates.Count, clustering.CandidatePairs, clustering.VerifiedPairs, findings.ExactChecks, index.Count + drop.KeptCount);
    }

    /// <summary>The local folder under which a run's fan-in attempts keep their scratch files, each in a folder of its
    /// own (an attempt redelivered while another still runs must not share files with it).</summary>
    public static string ScratchRoot(DataPrepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string run = string.Concat(input.RunId.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
        return Path.Combine(Path.GetTempPath(), "genai-fanin", run);
    }

    /// <summary>Removes what fan-in attempts of the run left behind: an attempt deletes its own files, but one killed
    /// mid-way (a crash, a redelivery) cannot, and its files would stay until the machine is recycled.</summary>
    public static void DeleteScratch(DataPrepInput input) => SpilledDrop.DeleteFolder(ScratchRoot(input));

    /// <summary>The user ids of the <paramref name="wanted"/> candidates, from the file of every candidate's id.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // once per drop, a loop over every candidate
    static Dictionary<long, string> ReadUserIds(BinaryWriter file, HashSet<long> wanted)
    {
        var ids = new Dictionary<long, string>(wanted.Count);
        // BinaryWriter.BaseStream flushes the stream, and a FileStream's flush drops its read buffer: taken once here, not
        // per record, or every record's read costs a system call that refills the whole 64 KB buffer.
        file.Flush();
        Stream stream = file.BaseStream;
        long count = stream.Position;
        stream.Position = 0;
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        for (long candidate = 0; stream.Position < count && ids.Count < wanted.Count; candidate++)
        {
            string id = reader.ReadString();
            if (wanted.Contains(candidate))
            {
                ids[candidate] = id;
            }
        }

        return ids;
    }

    /// <summary>The sorted, distinct shingle hashes of the <paramref name="wanted"/> records, read back from the shards'
    /// working files (only shards that hold one are read).</summary>
    static async Task<Dictionary<int, ulong[]>> LoadShinglesAsync(
        IDataStore store, DataPrepInput input, CandidateMap shards, List<long> candidateOf, IReadOnlySet<int> wanted, CancellationToken cancellationToken)
    {
        var sets = new Dictionary<int, ulong[]>(wanted.Count);
        char[] text = new char[16 * 1024];
        foreach (IGrouping<int, (int Ordinal, int Record)> shard in wanted
            .Select(r => (Place: shards.Locate(candidateOf[r]), Record: r))
            .GroupBy(r => r.Place.Shard, r => (r.Place.Ordinal, r.Record))
            .OrderBy(g => g.Key))
        {
            var byOrdinal = shard.ToDictionary(r => r.Ordinal, r => r.Record);
            Stream stream = await store.OpenReadAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Key, WorkFiles.Records), cancellationToken)
                ?? throw new InvalidOperationException($"shard {shard.Key} of run {input.RunId} has no records file");
            await using (stream)
            {
                using var lines = new Utf8LineSplitter(stream, 256 * 1024 * 1024);
                for (int ordinal = 0; await lines.ReadLineAsync(cancellationToken); ordinal++)
                {
                    if (byOrdinal.TryGetValue(ordinal, out int record))
                    {
                        sets[record] = ShingleSetOfLine(lines.Line.Span, ref text);
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

    static string Line(DroppedRecord entry) => JsonSerializer.Serialize(entry, DataJson.Lines.DroppedRecord) + "\n";
}

/// <summary>The good shards' candidates (records that passed the shard step) numbered across the drop in shard order,
/// and their signature files read back.</summary>
sealed class CandidateMap
{
    readonly long[] starts;
    readonly Dictionary<int, long> counts;

    public CandidateMap(IEnumerable<DataShard> good, IReadOnlyList<DataShardResult> results)
    {
        Good = [.. good];
        counts = results.ToDictionary(r => r.Index, r => r.Candidates);
        starts = new long[Good.Count + 1];
        for (int s = 0; s < Good.Count; s++)
        {
            starts[s + 1] = starts[s] + counts.GetValueOrDefault(Good[s].Index);
        }
    }

    public List<DataShard> Good { get; }

    /// <summary>Candidates in the good shards.</summary>
    public long Count => starts[^1];

    /// <summary>The shard (its index) and the ordinal within it of a candidate.</summary>
    public (int Shard, int Ordinal) Locate(long candidate)
    {
        int s = Array.BinarySearch(starts, candidate);
        s = s >= 0 ? s : ~s - 1;
        while (s + 1 < starts.Length && starts[s + 1] == candidate)
        {
            s++; // skip shards without candidates
        }

        return (Good[s].Index, (int)(candidate - starts[s]));
    }

    public delegate void SignatureRecord(long candidate, long order, string id, string key, UInt128 hash, int shingles);

    /// <summary>Every candidate's working signature line (order, id, key, text hash, shingle count, signature into
    /// <paramref name="signature"/>), in candidate order.</summary>
    public async Task ReadSignaturesAsync(IDataStore store, DataPrepInput input, uint[] signature, SignatureRecord each, CancellationToken cancellationToken)
    {
        long candidate = 0;
        foreach (DataShard shard in Good)
        {
            Stream? stream = await store.OpenReadAsync(PipelineStorage.Curated, WorkFiles.Of(input, shard.Index, WorkFiles.Signatures), cancellationToken)
                ?? throw new InvalidOperationException($"shard {shard.Index} of run {input.RunId} has no signatures file: was it curated?");
            await using (stream)
            {
                using var reader = new BinaryReader(new BufferedStream(stream, 64 * 1024), Encoding.UTF8);
                candidate = ReadShard(reader, counts.GetValueOrDefault(shard.Index), candidate, signature, each);
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // a few calls per drop, each a loop over a shard
    static long ReadShard(BinaryReader reader, long count, long candidate, uint[] signature, SignatureRecord each)
    {
        for (long ordinal = 0; ordinal < count; ordinal++)
        {
            long order = reader.ReadInt64();
            string id = reader.ReadString();
            string key = reader.ReadString();
            UInt128 hash = new(reader.ReadUInt64(), reader.ReadUInt64());
            int shingles = reader.ReadInt32();
            if (shingles > 0)
            {
                reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(signature.AsSpan()));
            }

            each(candidate++, order, id, key, hash, shingles);
        }

        return candidate;
    }
}
