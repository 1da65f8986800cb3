using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>Writes files so a reader (or a job resumed after an eviction) never sees half of one.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public static void WriteJson<T>(string path, T value, JsonSerializerOptions options) =>
        Write(path, stream => JsonSerializer.Serialize(stream, value, options));
}
