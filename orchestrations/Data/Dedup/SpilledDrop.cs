using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GenAiServerless.Data.Dedup;

/// <summary>Builds a <see cref="SpilledDrop"/>: records are added one at a time, in (order, id) order, and their band
/// keys, signatures and ids go straight to scratch files — the way datatrove stages MinHash dedup — so memory does not
/// grow with the drop apart from a few bytes a record.</summary>
/// <remarks>Each record is matched against the index as it is added (the index's band tables are in memory).
/// Scratch files: one file of band keys per band (8 B a record, in record order), one of signatures (512 B a record,
/// read back at random for candidate pairs) and one of ids (read back for the records an outcome names and for the
/// index save). The folder is deleted when the drop is disposed.</remarks>
public sealed class SpilledDropBuilder : IDisposable
{
    const int Length = MinHasher.SignatureLength;
    const int BufferBytes = 64 * 1024;

    readonly LshIndex index;
    readonly string folder;
    readonly BinaryWriter[] bands;
    readonly FileStream signatures;
    readonly BinaryWriter ids;
    readonly List<bool> indexable = [];
    readonly Dictionary<int, List<int>> matches = [];
    long indexComparisons;
    (long Order, string Id)? last;
    bool completed;
    bool closed;

    internal SpilledDropBuilder(LshIndex index, string folder)
    {
        this.index = index;
        this.folder = folder;
        Directory.CreateDirectory(folder);
        bands = new BinaryWriter[index.Options.Bands];
        try
        {
            for (var b = 0; b < bands.Length; b++)
            {
                bands[b] = new BinaryWriter(Create(BandFile(folder, b)));
            }

            signatures = Create(SignatureFile(folder));
            ids = new BinaryWriter(Create(IdFile(folder)), Encoding.UTF8);
        }
        catch
        {
            // A file that cannot be created (a full disk, a quota): close what was opened and leave no folder behind.
            foreach (var band in bands)
            {
                band?.Dispose();
            }

            signatures?.Dispose();
            SpilledDrop.DeleteFolder(folder);
            throw;
        }
    }

    /// <summary>Records added so far.</summary>
    public int Count => indexable.Count;

    /// <summary>Adds a record; returns its record number (0, 1, …).</summary>
    /// <param name="order">The record's place in the drop: records must come in ascending (order, id), as
    /// <see cref="LshIndex.Prepare"/> would sort them, so that keepers and outcomes are the same.</param>
    public int Add(string id, long order, ReadOnlySpan<uint> signature)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ObjectDisposedException.ThrowIf(completed, this);
        if (signature.Length != Length)
        {
            throw new ArgumentException($"record '{id}': a signature holds {Length} values, not {signature.Length}", nameof(signature));
        }

        if (last is { } previous && (order < previous.Order || (order == previous.Order && string.CompareOrdinal(id, previous.Id) <= 0)))
        {
            throw new ArgumentException($"record '{id}' (order {order}) comes after '{previous.Id}' (order {previous.Order}): records must be added in ascending (order, id)", nameof(order));
        }

        last = (order, id);
        var record = indexable.Count;

        // A text without words has an all-MaxValue signature: identical to every other such text, so never indexed.
        var canIndex = signature.ContainsAnyExcept(uint.MaxValue);
        indexable.Add(canIndex);
        for (var b = 0; b < bands.Length; b++)
        {
            bands[b].Write(canIndex ? index.BandKey(signature, b) : 0);
        }

        signatures.Write(MemoryMarshal.AsBytes(signature));
        ids.Write(id);
        if (canIndex && index.Count > 0)
        {
            if (index.MatchesInIndex(signature, out var compared) is { } found)
            {
                matches[record] = found;
            }

            indexComparisons += compared;
        }

        return record;
    }

    /// <summary>Closes the scratch files; the drop is then ready to cluster.</summary>
    public SpilledDrop Complete()
    {
        ObjectDisposedException.ThrowIf(completed, this);
        CloseFiles(); // flushes: a full disk fails here, and Dispose then still deletes the folder
        var drop = new SpilledDrop(index, folder, [.. indexable], matches, indexComparisons);
        completed = true;
        return drop;
    }

    /// <summary>Deletes the scratch files unless <see cref="Complete"/> handed them to a drop.</summary>
    public void Dispose()
    {
        if (!completed)
        {
            completed = true;
            try
            {
                CloseFiles();
            }
            catch (IOException)
            {
                // The files are being thrown away: a failed flush does not matter.
            }

            SpilledDrop.DeleteFolder(folder);
        }
    }

    void CloseFiles()
    {
        if (closed)
        {
            return;
        }

        closed = true;
        try
        {
            foreach (var band in bands)
            {
                band.Dispose();
            }
        }
        finally
        {
            signatures.Dispose();
            ids.Dispose();
        }
    }

    static FileStream Create(string path) => new(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferBytes);

    internal static string BandFile(string folder, int band) => Path.Combine(folder, $"band{band:D2}.bin");

    internal static string SignatureFile(string folder) => Path.Combine(folder, "signatures.bin");

    internal static string IdFile(string folder) => Path.Combine(folder, "ids.bin");
}

/// <summary>A drop whose band keys, signatures and ids wait in scratch files (see <see cref="SpilledDropBuilder"/>):
/// in memory only an indexable flag a record, its matches in the index, and one band's keys at a time.</summary>
/// <remarks>A band's keys are packed with the record numbers and sorted the first time the band is read, and written
/// back sorted, so a second clustering reads them ready. Not thread-safe.</remarks>
public sealed class SpilledDrop : PreparedDrop, IDisposable
{
    const int Length = MinHasher.SignatureLength;

    readonly string folder;
    readonly bool[] indexable;
    readonly Dictionary<int, List<int>> matches;
    readonly bool[] sorted;
    readonly int indexableCount;
    readonly SafeFileHandle signatures;
    ulong[]? keys;
    ulong[]? scratch;

    internal SpilledDrop(LshIndex index, string folder, bool[] indexable, Dictionary<int, List<int>> matches, long indexComparisons)
        : base(index, index.Count)
    {
        this.folder = folder;
        this.indexable = indexable;
        this.matches = matches;
        IndexComparisons = indexComparisons;
        RecordBits = LshIndex.RecordBits(indexable.Length);
        sorted = new bool[index.Options.Bands];
        indexableCount = indexable.AsSpan().Count(true);
        signatures = File.OpenHandle(SpilledDropBuilder.SignatureFile(folder), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
    }

    public override int Count => indexable.Length;

    internal override int RecordBits { get; }

    internal override long IndexComparisons { get; }

    /// <summary>The ids of the given records, read from the scratch file in one pass.</summary>
    public Dictionary<int, string> IdsOf(IReadOnlySet<int> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var found = new Dictionary<int, string>(records.Count);
        ReadIds((record, id) =>
        {
            if (records.Contains(record))
            {
                found[record] = id;
            }
        });
        return found;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls per drop: too few for tiering to optimise the loops
    internal override ReadOnlySpan<ulong> SortedBandKeys(int band)
    {
        keys ??= new ulong[indexable.Length];
        var path = SpilledDropBuilder.BandFile(folder, band);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            file.ReadExactly(MemoryMarshal.AsBytes(keys.AsSpan(0, sorted[band] ? indexableCount : indexable.Length)));
        }

        var packed = keys.AsSpan(0, indexableCount);
        if (!sorted[band])
        {
            // Packed as LshIndex.Prepare packs them: the key's top bits, then the record number; only indexable records.
            var count = 0;
            for (var record = 0; record < indexable.Length; record++)
            {
                if (indexable[record])
                {
                    keys[count++] = (keys[record] >> RecordBits << RecordBits) | (uint)record;
                }
            }

            scratch ??= new ulong[indexableCount];
            UniformSort.Sort(packed, scratch);
            using var write = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
            write.Write(MemoryMarshal.AsBytes(packed));
            sorted[band] = true;
        }

        return packed;
    }

    internal override void CopySignature(int record, Span<uint> signature)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)record, (uint)indexable.Length, nameof(record));
        var bytes = MemoryMarshal.AsBytes(signature[..Length]);
        var offset = (long)record * Length * sizeof(uint);
        for (var read = 0; read < bytes.Length;)
        {
            var n = RandomAccess.Read(signatures, bytes[read..], offset + read);
            if (n == 0)
            {
                throw new InvalidDataException($"the spilled drop's signature file ends before record {record}");
            }

            read += n;
        }
    }

    internal override bool IsIndexable(int record) => indexable[record];

    internal override IReadOnlyList<int>? MatchesOf(int record) => matches.GetValueOrDefault(record);

    internal override void ReadKept(KeptRecordSink sink)
    {
        var kept = KeptRecords ?? [];
        var next = 0;
        var signature = new uint[Length];
        using var stream = new FileStream(SpilledDropBuilder.SignatureFile(folder), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        ReadIds((record, id) =>
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(signature.AsSpan()));
            if (next < kept.Count && kept[next] == record)
            {
                next++;
                sink(id, signature);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a few calls per drop, each a loop over every record
    void ReadIds(Action<int, string> each)
    {
        using var reader = new BinaryReader(new FileStream(SpilledDropBuilder.IdFile(folder), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan), Encoding.UTF8);
        for (var record = 0; record < indexable.Length; record++)
        {
            each(record, reader.ReadString());
        }
    }

    /// <summary>Deletes the scratch files.</summary>
    public void Dispose()
    {
        signatures.Dispose();
        DeleteFolder(folder);
    }

    /// <summary>Deletes scratch files, best effort: a failure here must not hide the exception being unwound, and what
    /// is left is removed with the run's scratch root by the clean-up step.</summary>
    internal static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Already gone, or held open elsewhere: nothing more to do here.
        }
    }
}
