namespace GenAiServerless.AzureMlEmulator;

/// <summary>What every part of one emulator instance shares: its options, token, work folder, base URI and the token
/// that stops its background work.</summary>
sealed class EmulatorContext(AzureMlEmulatorOptions options, string bearerToken, string workRoot) : IDisposable
{
    readonly CancellationTokenSource stopping = new();

    public AzureMlEmulatorOptions Options { get; } = options;

    public string BearerToken { get; } = bearerToken;

    /// <summary>The temp folder holding everything on disk (code, inputs, mounts, logs); deleted on dispose.</summary>
    public string WorkRoot { get; } = workRoot;

    /// <summary>Known once Kestrel listens (the port may be chosen by the OS).</summary>
    public Uri BaseUri { get; set; } = new("http://127.0.0.1/");

    public CancellationToken Stopping => stopping.Token;

    /// <summary>A folder under the work root, created if needed.</summary>
    public string Folder(params string[] parts)
    {
        string path = Path.Combine([WorkRoot, .. parts]);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Stop() => stopping.Cancel();

    public void Dispose() => stopping.Dispose();
}
