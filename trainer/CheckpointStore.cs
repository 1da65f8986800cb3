using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>Training state saved mid-run: the counts so far and the step to run next.</summary>
/// <param name="Fingerprint">Identifies the training data and settings the counts came from.</param>
internal sealed record TrainingCheckpoint(string Fingerprint, int NextStep, int TotalSteps, NGramCounts Counts);

/// <summary>The <c>--checkpoints</c> directory: the latest checkpoint and a progress file, both replaced atomically.</summary>
/// <remarks>Fenced by attempt: when the job runs as attempt <c>n</c> (the <c>GENAI_JOB_ATTEMPT</c> variable), it
/// claims the folder by writing <c>n</c> to <see cref="OwnerFileName"/> and, before every write, stops with a
/// <see cref="CheckpointFencedException"/> once a later attempt has claimed it. So an attempt wrongly thought lost can
/// never write beside its successor.</remarks>
internal sealed class CheckpointStore(string directory, int? attempt = null)
{
    public const string CheckpointFileName = "checkpoint.bin";
    public const string ProgressFileName = "progress.json";
    public const string OwnerFileName = ".owner";
    private const int FormatVersion = 1;
    private static readonly byte[] Magic = "GNCK"u8.ToArray();
    private static readonly JsonSerializerOptions ProgressJson = new(JsonSerializerDefaults.Web);

    private string CheckpointPath => Path.Combine(directory, CheckpointFileName);

    public TrainingCheckpoint? TryLoad()
    {
        // A run killed mid-write leaves its temporary file behind; the finished files never depend on one.
        if (Directory.Exists(directory))
        {
            foreach (var leftover in Directory.GetFiles(directory, "*.tmp"))
            {
                File.Delete(leftover);
            }
        }

        if (!File.Exists(CheckpointPath))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(new BufferedStream(File.OpenRead(CheckpointPath), 1 << 20));
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != FormatVersion)
            {
                throw new InvalidDataException($"not a version {FormatVersion} genai-trainer checkpoint");
            }

            var fingerprint = reader.ReadString();
            var nextStep = reader.ReadInt32();
            var totalSteps = reader.ReadInt32();
            return new TrainingCheckpoint(fingerprint, nextStep, totalSteps, NGramCounts.ReadFrom(reader));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or TrainerInputException)
        {
            throw new TrainerInputException($"{CheckpointPath}: unreadable checkpoint ({e.Message}); delete it to train from scratch", e);
        }
    }

    /// <summary>Claims the folder for this attempt; fails if a later attempt already has.</summary>
    public void Claim()
    {
        if (attempt is not { } mine)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        EnsureOwner();
        if (ReadOwner() != mine)
        {
            File.WriteAllText(Path.Combine(directory, $"{OwnerFileName}.{Environment.ProcessId}.tmp"), mine.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.Move(Path.Combine(directory, $"{OwnerFileName}.{Environment.ProcessId}.tmp"), Path.Combine(directory, OwnerFileName), overwrite: true);
        }
    }

    /// <summary>Throws <see cref="CheckpointFencedException"/> when a later attempt owns the folder.</summary>
    public void EnsureOwner()
    {
        if (attempt is { } mine && ReadOwner() is { } owner && owner > mine)
        {
            throw new CheckpointFencedException(
                $"{Path.Combine(directory, OwnerFileName)}: attempt {owner} of this job owns the checkpoints; attempt {mine} stops without writing");
        }
    }

    int? ReadOwner()
    {
        string file = Path.Combine(directory, OwnerFileName);
        try
        {
            return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture, out int owner) ? owner : null;
        }
        catch (IOException)
        {
            return null; // being replaced: the next look sees it
        }
    }

    public void Save(TrainingCheckpoint checkpoint)
    {
        Directory.CreateDirectory(directory);
        EnsureOwner();
        AtomicFile.Write(CheckpointPath, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(checkpoint.Fingerprint);
            writer.Write(checkpoint.NextStep);
            writer.Write(checkpoint.TotalSteps);
            checkpoint.Counts.WriteTo(writer);
        });
    }

    public void WriteProgress(int step, int totalSteps)
    {
        Directory.CreateDirectory(directory);
        EnsureOwner();
        AtomicFile.WriteJson(Path.Combine(directory, ProgressFileName), new TrainingProgress(step, totalSteps), ProgressJson);
    }

    private sealed record TrainingProgress(int Step, int TotalSteps);
}
