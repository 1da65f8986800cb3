namespace GenAiServerless.Data.Inputs;

/// <summary>A folder dropped as one unit and completed by a <c>_SUCCESS</c> marker (the Spark/Hadoop convention):
/// whether it is complete, and the files that belong to it.</summary>
/// <param name="Folder">The folder, with a trailing '/'.</param>
/// <param name="Complete">Whether <c>{Folder}_SUCCESS</c> exists: only then may a run start.</param>
/// <param name="Files">The blob names of the folder's data files, in ordinal order, the folder's own and those of its
/// subfolders, without the marker and without any name whose file or folder starts with '_' or '.' (Spark's
/// <c>_temporary/</c>, <c>.crc</c> files).</param>
public sealed record FolderDrop(string Folder, bool Complete, IReadOnlyList<string> Files)
{
    public const string SuccessMarker = "_SUCCESS";

    /// <summary>The folder drop <paramref name="folder"/> as seen in a listing of blob names; names outside the folder are ignored.</summary>
    public static FolderDrop FromListing(string folder, IEnumerable<string> blobNames)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(blobNames);
        string prefix = folder.Length == 0 || folder.EndsWith('/') ? folder : folder + "/";
        bool complete = false;
        var files = new List<string>();
        foreach (string name in blobNames)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            string relative = name[prefix.Length..];
            if (relative == SuccessMarker)
            {
                complete = true;
            }
            else if (relative.Length > 0 && !relative.EndsWith('/') && !IsHidden(relative))
            {
                files.Add(name);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return new FolderDrop(prefix, complete, files.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Whether a file or folder of <paramref name="relativePath"/> starts with '_' or '.': a marker, a
    /// checksum, a hidden or temporary file or folder (<c>_SUCCESS</c>, <c>.part-0.crc</c>, <c>.DS_Store</c>,
    /// <c>_temporary/</c>), which is never data.</summary>
    public static bool IsHidden(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        foreach (Range part in relativePath.AsSpan().Split('/'))
        {
            if (relativePath[part] is [ '_' or '.', ..])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="blobName"/> is a <c>_SUCCESS</c> marker, and the folder it completes: what a blob
    /// trigger asks before starting a folder run.</summary>
    public static bool IsSuccessMarker(string blobName, out string folder)
    {
        ArgumentNullException.ThrowIfNull(blobName);
        int slash = blobName.LastIndexOf('/');
        folder = blobName[..(slash + 1)];
        return blobName.AsSpan(slash + 1).SequenceEqual(SuccessMarker);
    }
}
