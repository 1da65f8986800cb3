using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace GenAiServerless.Registry.Signing;

/// <summary>Signing keys on this machine, for the local stack: RSA-3072 keys in <c>{folder}/manifest-signing/{version}.pem</c>
/// (PKCS#8, mode 0600 in a 0700 folder), the current version named in <c>current</c>. The first key is created on first
/// use; <see cref="Rotate"/> makes a new current key and keeps the old ones, so what they signed still verifies.
/// Key ids are <c>local/manifest-signing/{version}</c>, the version being the start of the public key's SHA-256.</summary>
public sealed partial class LocalKeyRing(string folder) : IManifestSigner
{
    public const string KeyName = "manifest-signing";
    const string IdPrefix = "local/" + KeyName + "/";
    const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    readonly Lock gate = new();

    string KeysFolder => Path.Combine(folder, KeyName);

    string CurrentFile => Path.Combine(KeysFolder, "current");

    public Task<DigestSignature> SignAsync(byte[] sha256Digest, CancellationToken cancellationToken)
    {
        string version = CurrentVersion();
        using RSA key = Load(version) ?? throw new InvalidOperationException($"the local key ring names key {version} as current, but {KeyFile(version)} is missing");
        return Task.FromResult(new DigestSignature(IdPrefix + version, Ps256.Sign(key, sha256Digest)));
    }

    public Task<RSAParameters?> GetPublicKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!keyId.StartsWith(IdPrefix, StringComparison.Ordinal) || !VersionPattern().IsMatch(keyId[IdPrefix.Length..]))
        {
            return Task.FromResult<RSAParameters?>(null);
        }

        using RSA? key = Load(keyId[IdPrefix.Length..]);
        return Task.FromResult(key is null ? (RSAParameters?)null : key.ExportParameters(false));
    }

    /// <summary>Makes a new key the current one; the old keys stay for verification. Returns the new key's id.</summary>
    public string Rotate()
    {
        lock (gate)
        {
            string version = CreateKey();
            string temp = CurrentFile + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, version);
            File.Move(temp, CurrentFile, overwrite: true);
            return IdPrefix + version;
        }
    }

    /// <summary>The current key's version, creating the first key when the ring is empty. Two processes creating it at
    /// once agree: <c>current</c> is created exclusively, and the loser uses the winner's key.</summary>
    string CurrentVersion()
    {
        lock (gate)
        {
            if (File.Exists(CurrentFile))
            {
                return File.ReadAllText(CurrentFile).Trim();
            }

            string version = CreateKey();
            try
            {
                using var current = new FileStream(CurrentFile, OwnerOnly(FileMode.CreateNew));
                using var writer = new StreamWriter(current);
                writer.Write(version);
                return version;
            }
            catch (IOException) when (File.Exists(CurrentFile))
            {
                File.Delete(KeyFile(version));
                return File.ReadAllText(CurrentFile).Trim();
            }
        }
    }

    /// <summary>Writes a new RSA-3072 key readable only by the owner; returns its version.</summary>
    string CreateKey()
    {
        foreach (string f in new[] { folder, KeysFolder })
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(f); // the user profile's ACLs stand in for the modes
            }
            else
            {
                Directory.CreateDirectory(f, OwnerOnlyFolder);
            }
        }

        using var rsa = RSA.Create(3072);
        string version = Ps256.Hex(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
        string temp = KeyFile(version) + $".{Environment.ProcessId}.tmp";
        using (var file = new FileStream(temp, OwnerOnly(FileMode.CreateNew)))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(rsa.ExportPkcs8PrivateKeyPem());
        }

        File.Move(temp, KeyFile(version));
        return version;
    }

    RSA? Load(string version)
    {
        string path = KeyFile(version);
        if (!File.Exists(path))
        {
            return null;
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        return rsa;
    }

    static FileStreamOptions OwnerOnly(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnlyFile;
        }

        return options;
    }

    string KeyFile(string version) => Path.Combine(KeysFolder, version + ".pem");

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex VersionPattern();
}
