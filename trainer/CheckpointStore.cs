using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>Training state saved mid-run: the counts so far and the step to run next.</summary>
/// <param name="Fingerprint">Identifies the training data and settings the counts came from.</param>
internal sealed record TrainingCheckpoint(string Fingerprint, int NextStep, int TotalSteps, NGramCounts Counts);

/// <summary>The <c>--checkpoints</c> directory: the latest checkpoint and a progress file, both replaced atomically.</summary>
internal sealed class CheckpointStore(string directory)
{
    public const string CheckpointFileName = "checkpoint.bin";
    public const string ProgressFileName = "progress.json";
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

    public void Save(TrainingCheckpoint checkpoint)
    {
        Directory.CreateDirectory(directory);
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
        AtomicFile.WriteJson(Path.Combine(directory, ProgressFileName), new TrainingProgress(step, totalSteps), ProgressJson);
    }

    private sealed record TrainingProgress(int Step, int TotalSteps);
}
