using System.Globalization;

using Consortia.SecureAggregation.Graph;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Tests.Graph;

public sealed class SecAggPlannerTests
{
    public static TheoryData<int, double, double, string, int, int, int, int, int, bool> PlannerRows()
    {
        TheoryData<int, double, double, string, int, int, int, int, int, bool> rows = [];
        string path = Path.Combine(AppContext.BaseDirectory, "TestVectors", "secaggplus_planner.csv");
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("n,gamma_corrupt,delta_dropout,model,sec_bits,cor_bits,k_neighbours,t_min,t_max,complete_graph", lines[0]);
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            string[] f = line.Split(',');
            rows.Add(
                int.Parse(f[0], CultureInfo.InvariantCulture),
                double.Parse(f[1], CultureInfo.InvariantCulture),
                double.Parse(f[2], CultureInfo.InvariantCulture),
                f[3],
                int.Parse(f[4], CultureInfo.InvariantCulture),
                int.Parse(f[5], CultureInfo.InvariantCulture),
                int.Parse(f[6], CultureInfo.InvariantCulture),
                int.Parse(f[7], CultureInfo.InvariantCulture),
                int.Parse(f[8], CultureInfo.InvariantCulture),
                bool.Parse(f[9]));
        }

        Assert.Equal(48, rows.Count);
        return rows;
    }

    [Theory]
    [MemberData(nameof(PlannerRows))]
    public void Plan_ReferenceRow_ReproducesDegreeAndThresholdInterval(
        int n, double gamma, double delta, string model, int securityBits, int correctnessBits, int k, int tMin, int tMax, bool complete)
    {
        SecAggPlannerOptions options = new()
        {
            Participants = n,
            CorruptFraction = gamma,
            DropoutFraction = delta,
            Mode = model == "malicious" ? SecAggSecurityMode.MaliciousServer : SecAggSecurityMode.SemiHonest,
            SecurityBits = securityBits,
            CorrectnessBits = correctnessBits,
        };

        SecAggPlan plan = SecAggPlanner.Plan(options);

        Assert.Equal((k, tMin, tMax, complete), (plan.Neighbours, plan.MinThreshold, plan.MaxThreshold, plan.CompleteGraph));
        int expectedThreshold = model == "malicious" ? tMax : (tMin + tMax + 1) / 2;
        Assert.Equal(expectedThreshold, plan.Threshold);
        Assert.Equal(complete ? null : k, plan.GraphDegree);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void Plan_FewerThanThreeParticipants_IsRefused(int n)
    {
        SecAggPlannerOptions options = new() { Participants = n, CorruptFraction = 0.05, DropoutFraction = 0.05 };

        ArgumentException error = Assert.Throws<ArgumentException>(() => SecAggPlanner.Plan(options));

        Assert.Contains("Participants", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryPlan_HalfCorrupt_HasNoFeasibleThreshold()
    {
        SecAggPlannerOptions options = new() { Participants = 20, CorruptFraction = 0.5, DropoutFraction = 0.5, Mode = SecAggSecurityMode.MaliciousServer };

        bool planned = SecAggPlanner.TryPlan(options, out SecAggPlan? plan);

        Assert.False(planned);
        Assert.Null(plan);
    }

    [Fact]
    public void Plan_Result_BuildsValidSessionOptions()
    {
        SecAggPlan plan = SecAggPlanner.Plan(new() { Participants = 300, CorruptFraction = 0.05, DropoutFraction = 0.05 });
        SecAggSessionOptions session = Support.SessionFactory.Create(300, plan.Threshold, neighbours: plan.GraphDegree);

        session.Validate();

        Assert.Equal(plan.Neighbours + 1, session.HolderCount);
    }

    [Theory]
    [InlineData(10, 3, 4, 2, 1.0 / 3.0)]
    [InlineData(10, 3, 4, 3, 1.0 / 30.0)]
    [InlineData(10, 3, 4, 4, 0.0)]
    [InlineData(99, 5, 18, 5, 8568.0 / 71523144.0)]
    public void UpperTail_SmallCases_MatchesExactHypergeometric(int population, int successes, int draws, int threshold, double expected)
    {
        double tail = SecAggPlanner.UpperTail(population, successes, draws, threshold);

        Assert.Equal(expected, tail, 1e-12);
    }
}
