using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Registry.Signing;
using GenAiServerless.Tests.Local.Stack;

namespace GenAiServerless.Tests.Local.Registry;

/// <summary>A registry on the run's shared Azurite, signing with a key ring in a temp folder; each test uses its own
/// model names.</summary>
public sealed class RegistryOnAzurite : IAsyncLifetime
{
    /// <summary>A stack home: the key ring is its <c>keys/</c>, as the stack and the CLI expect.</summary>
    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"genai-registry-{Guid.NewGuid():N}");

    public string KeyRingFolder => Path.Combine(Home, "keys");

    public string ConnectionString { get; private set; } = null!;

    public PipelineStorage Storage { get; private set; } = null!;

    public LocalKeyRing KeyRing { get; private set; } = null!;

    public BlobModelRegistry Registry { get; private set; } = null!;

    public ModelVersionVerifier Verifier { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string connection = ConnectionString = (await SharedAzurite.GetAsync()).ConnectionString;
        Storage = new PipelineStorage(new BlobServiceClient(connection), new QueueServiceClient(connection));
        await Storage.EnsureCreatedAsync();
        KeyRing = new LocalKeyRing(KeyRingFolder);
        Registry = new BlobModelRegistry(Storage, KeyRing, TimeProvider.System);
        Verifier = new ModelVersionVerifier(Storage, KeyRing);
    }

    /// <summary>A fresh model name.</summary>
    public static string NewModel(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 9)];

    /// <summary>Writes a job's outputs under <c>models/jobs/{jobId}/</c>; returns the prefix a registration names.</summary>
    public async Task<string> WriteOutputsAsync(string jobId, IReadOnlyDictionary<string, string> files)
    {
        BlobContainerClient models = Storage.Container(PipelineStorage.Models);
        foreach ((string path, string content) in files)
        {
            await models.GetBlobClient($"jobs/{jobId}/{path}").UploadAsync(BinaryData.FromString(content), overwrite: true);
        }

        return $"{PipelineStorage.Models}/jobs/{jobId}/";
    }

    /// <summary>Registers a run whose outputs are <paramref name="files"/>.</summary>
    public async Task<ModelVersionInfo> RegisterAsync(string model, string runId, IReadOnlyDictionary<string, string>? files = null, ModelLineage? lineage = null)
    {
        string prefix = await WriteOutputsAsync($"{runId}-train-a1", files ?? new Dictionary<string, string> { ["model.json"] = $"{{\"run\":\"{runId}\"}}", ["vocab/words.txt"] = "a\nb\n" });
        return await Registry.RegisterAsync(
            new ModelRegistration(model, runId, $"{runId}-train-a1", prefix, $"curated/{model}/{runId}/manifest.json", "feed", new Dictionary<string, double> { ["test_bits_per_byte"] = 2.5 }, lineage),
            DateTime.UtcNow,
            CancellationToken.None);
    }

    /// <summary>The blob of a registered file.</summary>
    public BlobClient File(ModelVersionInfo version, string path)
    {
        (BlobContainerClient container, string prefix) = Storage.Locate(version.FilesPrefix);
        return container.GetBlobClient(prefix + path);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public Task DisposeAsync()
    {
        if (Directory.Exists(Home))
        {
            Directory.Delete(Home, recursive: true);
        }

        return Task.CompletedTask;
    }
}
