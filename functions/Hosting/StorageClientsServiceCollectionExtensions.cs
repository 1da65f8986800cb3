using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Functions.Hosting;

/// <summary>Registers the storage clients the pipeline needs, from the same settings the trigger bindings use.</summary>
/// <remarks>The bindings name the connection <c>Storage</c>; the Functions host reads <c>Storage__blobServiceUri</c> and
/// <c>Storage__queueServiceUri</c> (identity-based) or <c>ConnectionStrings:Storage</c>. Configuration keys ignore case,
/// so <c>Storage:BlobServiceUri</c> here is the very same setting: one value serves the host and the worker.</remarks>
public static class StorageClientsServiceCollectionExtensions
{
    public const string ConnectionStringName = "Storage";
    public const string BlobServiceUriKey = "Storage:BlobServiceUri";
    public const string QueueServiceUriKey = "Storage:QueueServiceUri";

    /// <summary>Adds <see cref="BlobServiceClient"/> and <see cref="QueueServiceClient"/>: from the connection string
    /// <c>ConnectionStrings:Storage</c> when given (Azurite), else from the service URIs with <see cref="DefaultAzureCredential"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither a connection string nor both service URIs are configured.</exception>
    public static IServiceCollection AddStorageClients(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            services.AddSingleton(new BlobServiceClient(connectionString));
            services.AddSingleton(new QueueServiceClient(connectionString));
            return services;
        }

        Uri blobUri = RequiredUri(configuration, BlobServiceUriKey);
        Uri queueUri = RequiredUri(configuration, QueueServiceUriKey);

        // One credential for both clients: on Azure it is the app's managed identity (AZURE_CLIENT_ID picks the
        // user-assigned one), on a laptop the developer's az login.
        TokenCredential credential = new DefaultAzureCredential();
        services.AddSingleton(new BlobServiceClient(blobUri, credential));
        services.AddSingleton(new QueueServiceClient(queueUri, credential));
        return services;
    }

    static Uri RequiredUri(IConfiguration configuration, string key)
    {
        string? value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set '{key}' (app setting '{key.Replace(":", "__", StringComparison.Ordinal)}') for an identity-based connection, "
                + $"or 'ConnectionStrings:{ConnectionStringName}' for a connection string (Azurite).");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"'{key}' must be an absolute http(s) URI, got '{value}'.");
        }

        return uri;
    }
}
