using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

public class SpotEvictionRateTests
{
    [Fact]
    public void ToHourlyRate_ZeroToFive_IsConstantHazardOfMidpointOver28Days()
    {
        var rate = SpotEvictionRate.ToHourlyRate("0-5");

        Assert.Equal(-Math.Log(1 - 0.025) / 672, rate, 12);
        Assert.InRange(rate, 0.025 / 672, 0.026 / 672);
    }

    [Fact]
    public void ToHourlyRate_Bands_IncreaseWithBand()
    {
        var rates = new[] { "0-5", "5-10", "10-15", "15-20", "20+" }.Select(SpotEvictionRate.ToHourlyRate).ToArray();

        Assert.Equal(rates.Order(), rates);
        Assert.Equal(-Math.Log(1 - 0.30) / 672, rates[^1], 12);
    }

    [Fact]
    public void ToHourlyRate_NotABand_ThrowsNamingField()
    {
        var error = Assert.Throws<FormatException>(() => SpotEvictionRate.ToHourlyRate("low"));

        Assert.Contains("SpotEvictionRate.EvictionRate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ResourceGraphResponse_ReadsRowsAndSkipsOtherTypes()
    {
        const string json = """
            {"totalRecords":3,"count":3,"resultTruncated":"false","facets":[],"data":[
              {"id":"/providers/Microsoft.Compute/skuSpotEvictionRate/Standard_NC24ads_A100_v4/location/eastus","name":"Standard_NC24ads_A100_v4",
               "type":"microsoft.compute/skuspotevictionrate/location","location":"eastus","sku":{"name":"standard_nc24ads_a100_v4"},
               "properties":{"skuName":"Standard_NC24ads_A100_v4","location":"eastus","evictionRate":"5-10"}},
              {"name":"x","type":"microsoft.compute/skuspotpricehistory/ostype/location","location":"eastus","properties":{"spotPrices":[]}},
              {"name":"Standard_NC4as_T4_v3","type":"Microsoft.Compute/skuSpotEvictionRate/location","location":"westus3","sku":{"name":"standard_nc4as_t4_v3"},
               "properties":{"evictionRate":"20+"}}
            ]}
            """;

        var rows = SpotEvictionRatesParser.Parse(json);

        Assert.Equal(
            [new SpotEvictionRate("Standard_NC24ads_A100_v4", "eastus", "5-10"), new SpotEvictionRate("standard_nc4as_t4_v3", "westus3", "20+")],
            rows);
    }

    [Fact]
    public void Parse_RowWithBadBand_ThrowsFormatException()
    {
        const string json = """[{"type":"microsoft.compute/skuspotevictionrate/location","location":"eastus","properties":{"skuName":"S","evictionRate":"often"}}]""";

        Assert.Throws<FormatException>(() => SpotEvictionRatesParser.Parse(json));
    }
}
