using System.Text.Json;
using Azure;

namespace GenAiServerless.Local.Commands;

/// <summary>How a command's failure reaches the user: the expected ones (no running stack, a stack that does not answer,
/// storage down, a damaged <c>stack.json</c>) as one line and exit code 1, never a stack trace.</summary>
public static class CommandErrors
{
    public static int Handle(Exception exception, Spectre.Console.Cli.ITypeResolver? resolver)
    {
        ArgumentNullException.ThrowIfNull(exception);
        string? message = exception switch
        {
            Spectre.Console.Cli.CommandAppException e => e.Message,
            InvalidOperationException or FormatException => exception.Message,
            HttpRequestException e => $"the stack's API did not answer ({e.Message}); is `genai up` still running?",
            RequestFailedException e => $"storage answered {e.Status}: {e.Message.Split('\n')[0]}",
            JsonException e => $"a file or answer the command read is not valid JSON: {e.Message}",
            IOException or UnauthorizedAccessException => exception.Message,
            _ => null,
        };
        Console.Error.WriteLine($"genai: {message ?? exception.ToString()}");
        return message is null ? 2 : 1;
    }
}
