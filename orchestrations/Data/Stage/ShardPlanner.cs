using System.Buffers;
using System.Text;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Pipeline;

namespace GenAiServerless.Data;

/// <summary>Cuts a drop into shards: a plain JSONL or CSV file larger than <see cref="DataPolicy.ShardBytes"/> into byte
/// ranges that start and end on record boundaries (for CSV: line breaks outside quotes), every other file whole (gzip
/// cannot be entered in the middle; Parquet and small files are one unit).</summary>
/// <remarks>Finding the boundaries reads the large files once, counting line breaks at memory speed, so every shard
/// knows the file line it starts on and names its records by their line in the whole file.</remarks>
public static class ShardPlanner
{
    const int ChunkBytes = 64 * 1024;

    public static async Task<DataShardPlan> PlanAsync(IDataStore store, DataPrepInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        long shardBytes = Math.Max(1, input.Policy.ShardBytes);
        var shards = new List<DataShard>();
        for (int f = 0; f < input.Drops.Count; f++)
        {
            DropBlob drop = input.Drops[f];
            bool splittable = InputFormats.TryDetect(drop.BlobName, out InputFormat format, out _) && format is InputFormat.Jsonl or InputFormat.Csv;
            if (!splittable || drop.Length <= shardBytes)
            {
                shards.Add(new DataShard(shards.Count, f, drop, 0, drop.Length, 1));
                continue;
            }

            Stream stream = await store.OpenInputAsync(drop, cancellationToken);
            await using (stream)
            {
                foreach ((long offset, long length, long firstLine, string? header) in await CutAsync(stream, drop.Length, shardBytes, format == InputFormat.Csv, cancellationToken))
                {
                    shards.Add(new DataShard(shards.Count, f, drop, offset, length, firstLine, header));
                }
            }
        }

        return new DataShardPlan(shards);
    }

    /// <summary>The ranges of one file: each at least <paramref name="shardBytes"/> long (but the last), ending just after a
    /// record's line break.</summary>
    internal static async Task<List<(long Offset, long Length, long FirstLine, string? CsvHeader)>> CutAsync(
        Stream stream, long fileLength, long shardBytes, bool csv, CancellationToken cancellationToken)
    {
        var ranges = new List<(long, long, long, string?)>();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long position = 0, line = 1, start = 0, startLine = 1;
            bool quoted = false;
            var header = csv ? new List<byte>() : null;
            bool headerDone = !csv;
            string? csvHeader = null;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken)) > 0)
            {
                ReadOnlySpan<byte> chunk = buffer.AsSpan(0, read);
                int i = 0;
                while (i < chunk.Length)
                {
                    if (!csv && position + chunk.Length - start < shardBytes)
                    {
                        // No cut can fall in the rest of this chunk: just count its lines.
                        line += chunk[i..].Count((byte)'\n');
                        break;
                    }

                    int next = csv ? chunk[i..].IndexOfAny((byte)'"', (byte)'\n') : chunk[i..].IndexOf((byte)'\n');
                    if (next < 0)
                    {
                        if (!headerDone)
                        {
                            header!.AddRange(chunk[i..]);
                        }

                        break;
                    }

                    if (!headerDone)
                    {
                        header!.AddRange(chunk.Slice(i, next + 1));
                    }

                    i += next;
                    if (chunk[i] == (byte)'"')
                    {
                        quoted = !quoted;
                        i++;
                        continue;
                    }

                    line++;
                    i++;
                    if (quoted)
                    {
                        continue;
                    }

                    if (!headerDone)
                    {
                        headerDone = true;
                        if (line != 2)
                        {
                            // A header spanning lines (a quoted line break in a column name) cannot be repeated before a
                            // range: keep the file whole.
                            return [(0, fileLength, 1, null)];
                        }

                        csvHeader = Encoding.UTF8.GetString([.. header!]);
                    }

                    long end = position + i;
                    if (end - start >= shardBytes && end < fileLength)
                    {
                        ranges.Add((start, end - start, startLine, start == 0 ? null : csvHeader));
                        start = end;
                        startLine = line;
                    }
                }

                position += read;
            }

            if (start < fileLength || ranges.Count == 0)
            {
                ranges.Add((start, fileLength - start, startLine, start == 0 ? null : csvHeader));
            }

            return ranges;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
