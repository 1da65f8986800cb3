namespace GenAiServerless.Tests.Local;

/// <summary>Clean-up of a test's temp folder.</summary>
internal static class TempFolders
{
    /// <summary>Deletes <paramref name="folder"/>, trying again for a few seconds: a host a test stopped may still be
    /// finishing a background write under it (a model it was loading, its saved state). A failed clean-up of a temp
    /// folder is tried again, never a failed test.</summary>
    public static async Task DeleteAsync(string folder)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
            catch (IOException)
            {
                return; // the OS cleans temp
            }
        }
    }
}
