using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Tests.Support;

namespace Consortia.SecureAggregation.Tests.Protocol;

public sealed class SecAggSessionOptionsTests
{
    private static readonly SecAggSessionOptions Valid = SessionFactory.Create(10, 6, vectorLength: 100);

    public static TheoryData<string, SecAggSessionOptions> InvalidOptions() => new()
    {
        { "JobId", Valid with { JobId = " " } },
        { "RoundNumber", Valid with { RoundNumber = -1 } },
        { "Participants", Valid with { Participants = ["a", "b"] } },
        { "Participants", Valid with { Participants = ["b", "a", "c"] } },
        { "Participants", Valid with { Participants = ["a", "a", "c"] } },
        { "Participants", Valid with { Participants = ["a", "", "c"] } },
        { "VectorLength", Valid with { VectorLength = 0 } },
        { "Threshold", Valid with { Threshold = 1 } },
        { "Threshold", Valid with { Threshold = 11 } },
        { "Threshold", Valid with { Neighbours = 4, Threshold = 6 } },
        { "Neighbours", Valid with { Neighbours = 3 } },
        { "Neighbours", Valid with { Neighbours = 0 } },
        { "Neighbours", Valid with { Neighbours = 10 } },
        { "MinimumAggregateSize", Valid with { MinimumAggregateSize = 2 } },
        { "MinimumAggregateSize", Valid with { MinimumAggregateSize = 11 } },
        { "SecurityMode", Valid with { SecurityMode = (SecAggSecurityMode)7 } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Validate_InvalidField_ThrowsNamingIt(string field, SecAggSessionOptions options)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(field, error.ParamName);
    }

    [Fact]
    public void Validate_NeighboursNMinusOne_IsTheCompleteGraph()
    {
        SecAggSessionOptions options = Valid with { Neighbours = 9 };

        options.Validate();

        Assert.True(options.IsCompleteGraph);
        Assert.Equal(10, options.HolderCount);
        Assert.Equal(Valid.ComputeSessionId(), options.ComputeSessionId());
    }

    public static TheoryData<SecAggSessionOptions> Variants() =>
    [
        Valid with { JobId = "job-other" },
        Valid with { RoundNumber = 2 },
        Valid with { VectorLength = 101 },
        Valid with { Threshold = 7 },
        Valid with { Neighbours = 4, Threshold = 3 },
        Valid with { SecurityMode = SecAggSecurityMode.MaliciousServer },
        Valid with { MinimumAggregateSize = 4 },
        Valid with { ApplicationContext = new byte[] { 1 } },
        Valid with { Participants = [.. Valid.Participants.Take(9), "site-zzzz"] },
    ];

    [Theory]
    [MemberData(nameof(Variants))]
    public void ComputeSessionId_AnyFieldChanged_ChangesTheId(SecAggSessionOptions variant)
    {
        SessionId original = Valid.ComputeSessionId();

        SessionId changed = variant.ComputeSessionId();

        Assert.NotEqual(original, changed);
    }

    [Fact]
    public void ComputeSessionId_EqualOptions_GiveEqualIdsAndHexRoundTrips()
    {
        SecAggSessionOptions copy = SessionFactory.Create(10, 6, vectorLength: 100);

        SessionId id = copy.ComputeSessionId();

        Assert.Equal(Valid.ComputeSessionId(), id);
        Assert.Equal(id, SessionId.FromBytes(Convert.FromHexString(id.ToString())));
        Assert.Equal(64, id.ToString().Length);
    }

    [Fact]
    public void SessionId_FromWrongLength_Throws() => Assert.Throws<ArgumentException>(() => SessionId.FromBytes(new byte[31]));
}
