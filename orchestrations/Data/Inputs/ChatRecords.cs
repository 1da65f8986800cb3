using System.Text;
using System.Text.Json;

namespace GenAiServerless.Data.Inputs;

/// <summary>Chat records: a <c>messages</c> list of <c>{"role","content"}</c> turns, flattened into the text the curator
/// keeps ("user: …\nassistant: …").</summary>
public static class ChatRecords
{
    /// <summary>The roles a message may have.</summary>
    public static IReadOnlyList<string> Roles { get; } = ["system", "user", "assistant"];

    /// <summary>The turns as one text, one "role: content" line block per message; null with an error naming the
    /// message index when the list is not an array, is empty, or a message lacks a role or content or has an unknown role.</summary>
    public static string? Flatten(JsonElement messages, out string? error)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            error = $"'messages' must be an array of {{\"role\", \"content\"}} objects, found {Kind(messages)}";
            return null;
        }

        if (messages.GetArrayLength() == 0)
        {
            error = "'messages' is empty";
            return null;
        }

        var text = new StringBuilder();
        int index = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            error = Check(message, index, out string? role, out string? content);
            if (error is not null)
            {
                return null;
            }

            if (index > 0)
            {
                text.Append('\n');
            }

            text.Append(role).Append(": ").Append(content);
            index++;
        }

        error = null;
        return text.ToString();
    }

    static string? Check(JsonElement message, int index, out string? role, out string? content)
    {
        role = null;
        content = null;
        if (message.ValueKind != JsonValueKind.Object)
        {
            return $"message {index} must be an object with 'role' and 'content', found {Kind(message)}";
        }

        if (!message.TryGetProperty("role", out JsonElement roleEl) || roleEl.ValueKind != JsonValueKind.String)
        {
            return $"message {index} has no 'role' string";
        }

        role = roleEl.GetString()!;
        if (!Roles.Contains(role, StringComparer.Ordinal))
        {
            return $"message {index} has unknown role '{role}'; expected {string.Join(", ", Roles)}";
        }

        if (!message.TryGetProperty("content", out JsonElement contentEl) || contentEl.ValueKind != JsonValueKind.String)
        {
            return $"message {index} ({role}) has no 'content' string";
        }

        content = contentEl.GetString()!;
        return string.IsNullOrWhiteSpace(content) ? $"message {index} ({role}) has empty 'content'" : null;
    }

    static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();
}
