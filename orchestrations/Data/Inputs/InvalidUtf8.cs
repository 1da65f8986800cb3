using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace GenAiServerless.Data.Inputs;

/// <summary>The check that turns a record whose bytes are not UTF-8 into an <c>invalid_utf8</c> quarantine entry, the same
/// way for every format: the record is lost, its neighbours are not.</summary>
internal static class InvalidUtf8
{
    /// <summary>The reason code of a record that is not valid UTF-8.</summary>
    public const string Reason = "invalid_utf8";

    /// <summary>Null when <paramref name="bytes"/> are valid UTF-8; otherwise the unreadable record, naming the first bad
    /// byte. The quarantine keeps the bytes exactly (base64) beside a readable copy with U+FFFD for the bad bytes.</summary>
    public static UnreadableRecord? Check(string file, long position, string where, ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return null;
        }

        int bad = FirstInvalid(bytes);
        string detail = string.Create(CultureInfo.InvariantCulture, $"{where} is not valid UTF-8 text: byte 0x{bytes[bad]:X2} at byte {bad + 1} of the record starts no valid character");
        return new UnreadableRecord(file, position, Reason, detail, Encoding.UTF8.GetString(bytes), Convert.ToBase64String(bytes));
    }

    /// <summary>The offset of the first byte that starts no valid UTF-8 sequence.</summary>
    static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed);
            if (status != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return 0;
    }
}
