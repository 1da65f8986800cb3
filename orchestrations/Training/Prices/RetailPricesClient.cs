using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace GenAiServerless.Training.Prices;

/// <summary>Options of <see cref="RetailPricesClient"/>: endpoint, cache lifetime, and the Azure.Core transport and retries.</summary>
public sealed class RetailPricesClientOptions : ClientOptions
{
    /// <summary>The public, unauthenticated endpoint of the Retail Prices API.</summary>
    public static readonly Uri DefaultEndpoint = new("https://prices.azure.com/api/retail/prices");

    /// <summary>Optional. Where the API is served; defaults to <see cref="DefaultEndpoint"/>.</summary>
    public Uri Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>Optional. How long a filter's answer is reused before it is fetched again.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Optional. The clock that ages the cache (tests drive it).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>Reads VM prices from the Azure Retail Prices API over an Azure.Core <see cref="HttpPipeline"/>.</summary>
/// <remarks>
/// One request per (region, SKU) filter, following <c>NextPageLink</c> until it is null. Answers are cached in memory
/// per filter, so a planning pass that asks for the same SKU in many requirement shapes calls the API once.
/// </remarks>
public sealed class RetailPricesClient
{
    /// <summary>The api-version sent with every request; from it on, filter values are case-sensitive.</summary>
    public const string ApiVersion = "2023-01-01-preview";

    // A guard against a service that links a page to itself: far above the few pages one SKU in one region has.
    private const int MaxPages = 100;

    private readonly HttpPipeline _pipeline;
    private readonly Uri _endpoint;
    private readonly TimeSpan _cacheDuration;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, (DateTimeOffset FetchedAt, IReadOnlyList<RetailPriceItem> Items)> _cache =
        new(StringComparer.Ordinal);

    /// <summary>Builds the pipeline from <paramref name="options"/> (its Transport, Retry and Diagnostics).</summary>
    public RetailPricesClient(RetailPricesClientOptions? options = null)
    {
        options ??= new RetailPricesClientOptions();
        _pipeline = HttpPipelineBuilder.Build(options);
        _endpoint = options.Endpoint;
        _cacheDuration = options.CacheDuration;
        _timeProvider = options.TimeProvider;
    }

    /// <summary>Sends through <paramref name="transport"/> (a fake in tests) with the default policies.</summary>
    public RetailPricesClient(HttpPipelineTransport transport, Uri? endpoint = null)
        : this(new RetailPricesClientOptions { Transport = transport, Endpoint = endpoint ?? RetailPricesClientOptions.DefaultEndpoint })
    {
    }

    /// <summary>Sends through a pipeline the caller built.</summary>
    public RetailPricesClient(HttpPipeline pipeline, Uri? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        _pipeline = pipeline;
        _endpoint = endpoint ?? RetailPricesClientOptions.DefaultEndpoint;
        _cacheDuration = TimeSpan.FromHours(1);
        _timeProvider = TimeProvider.System;
    }

    /// <summary>
    /// The OData filter for one SKU in one region: Virtual Machines, Consumption price type. Values are case-sensitive
    /// (so <c>eastus</c> and <c>Standard_NC24ads_A100_v4</c> must be spelled as Azure spells them); quotes are doubled.
    /// </summary>
    public static string BuildFilter(string armRegionName, string armSkuName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(armRegionName);
        ArgumentException.ThrowIfNullOrWhiteSpace(armSkuName);
        return $"serviceName eq 'Virtual Machines' and armRegionName eq '{Quote(armRegionName)}' and armSkuName eq '{Quote(armSkuName)}' and priceType eq 'Consumption'";
    }

    /// <summary>Every row the API returns for the SKU in the region, across all pages (cached per filter).</summary>
    public async Task<IReadOnlyList<RetailPriceItem>> GetItemsAsync(
        string armRegionName, string armSkuName, CancellationToken cancellationToken = default)
    {
        var filter = BuildFilter(armRegionName, armSkuName);
        var now = _timeProvider.GetUtcNow();
        if (_cache.TryGetValue(filter, out var cached) && now - cached.FetchedAt < _cacheDuration)
        {
            return cached.Items;
        }

        var items = new List<RetailPriceItem>();
        Uri? next = null;
        for (var page = 0; ; page++)
        {
            if (page == MaxPages)
            {
                throw new InvalidOperationException(
                    $"Retail Prices API: more than {MaxPages} pages for filter \"{filter}\"; NextPageLink never became null.");
            }

            var result = await GetPageAsync(next, filter, cancellationToken).ConfigureAwait(false);
            items.AddRange(result.Items);
            if (string.IsNullOrEmpty(result.NextPageLink))
            {
                break;
            }

            next = ValidatedNextPage(result.NextPageLink);
        }

        _cache[filter] = (now, items);
        return items;
    }

    /// <summary>The SKU's hourly Linux pay-as-you-go and Spot prices in the region, with the rejected rows.</summary>
    public async Task<RetailPricesParseResult> GetPricesAsync(
        string armRegionName, string armSkuName, CancellationToken cancellationToken = default)
    {
        var items = await GetItemsAsync(armRegionName, armSkuName, cancellationToken).ConfigureAwait(false);
        return RetailPricesParser.Parse(items);
    }

    private async Task<RetailPricesPage> GetPageAsync(Uri? nextPage, string filter, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Get;
        if (nextPage is null)
        {
            request.Uri.Reset(_endpoint);
            request.Uri.AppendQuery("api-version", ApiVersion);
            request.Uri.AppendQuery("$filter", filter);
        }
        else
        {
            // NextPageLink is absolute and already carries api-version, $filter and $skip.
            request.Uri.Reset(nextPage);
        }

        request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);

        var response = message.Response;
        if (response.Status != 200)
        {
            throw new RequestFailedException(response);
        }

        return await RetailPricesParser.ParsePageAsync(response.ContentStream ?? Stream.Null, cancellationToken).ConfigureAwait(false);
    }

    // The link is followed only to the host the client was pointed at: a page must not redirect the client elsewhere.
    private Uri ValidatedNextPage(string link)
    {
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Host, _endpoint.Host, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(uri.Scheme, _endpoint.Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"Retail Prices API: NextPageLink '{link}' is not an absolute {_endpoint.Scheme} link on {_endpoint.Host}.");
        }

        return uri;
    }

    private static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
