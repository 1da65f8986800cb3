using System.Globalization;
using System.Text.Json.Nodes;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>The read-only <c>systemData</c> block ARM adds to every resource.</summary>
static class SystemData
{
    public static JsonObject For(DateTimeOffset created, DateTimeOffset modified) => new()
    {
        ["createdAt"] = Format(created),
        ["createdBy"] = "azureml-emulator",
        ["createdByType"] = "Application",
        ["lastModifiedAt"] = Format(modified),
        ["lastModifiedBy"] = "azureml-emulator",
        ["lastModifiedByType"] = "Application",
    };

    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
