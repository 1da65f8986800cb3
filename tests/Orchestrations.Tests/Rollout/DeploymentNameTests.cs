using System.Text.RegularExpressions;
using GenAiServerless.Rollout;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

public partial class DeploymentNameTests
{
    /// <summary>Azure ML deployment names: 3–32 characters, letters, digits and dashes, starting with a letter.</summary>
    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9-]{2,31}$")]
    private static partial Regex AzureMlDeploymentName();

    [Fact]
    public void DeploymentName_SameVersionAndInstance_SameName()
    {
        Assert.Equal(RolloutOrchestrator.DeploymentName(3, "shop-drop-1"), RolloutOrchestrator.DeploymentName(3, "shop-drop-1"));
    }

    [Fact]
    public void DeploymentName_DifferentInstanceOrVersion_DifferentName()
    {
        string name = RolloutOrchestrator.DeploymentName(3, "shop-drop-1");

        Assert.NotEqual(name, RolloutOrchestrator.DeploymentName(3, "shop-drop-2"));
        Assert.NotEqual(name, RolloutOrchestrator.DeploymentName(4, "shop-drop-1"));
    }

    [Theory]
    [InlineData(1, "a")]
    [InlineData(42, "shop-drop-0123456789abcdef")]
    [InlineData(int.MaxValue, "a-very-long-instance-id-that-is-much-longer-than-thirty-two-characters")]
    public void DeploymentName_AnyInput_IsValidAzureMlName(int version, string instanceId)
    {
        Assert.Matches(AzureMlDeploymentName(), RolloutOrchestrator.DeploymentName(version, instanceId));
    }
}
