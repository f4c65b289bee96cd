using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Guards;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Fairness;

/// <summary>A site applies only the q-FFL exponent of the job it accepted: a task with another q, or none, is refused.</summary>
public sealed class QFflTaskGuardTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly SiteId s_site = new("site0");

    private static readonly JobDefinition s_qffl = TestSites.Job(s_spec, 8, [], ["a"], new LocalTrainingOptions { BatchSize = 8, LocalSteps = 10, FairnessQ = 2 }) with
    {
        Strategy = new StrategySettings { Kind = StrategyKind.QFfl },
    };

    private static TrainTask Task(JobDefinition job, float? q) =>
        new(s_site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), job.Training with { FairnessQ = q }) { Participants = 1, JobSha256 = job.ContentSha256 };

    [Theory]
    [InlineData(5f, "The task's q-FFL exponent is 5; the accepted job's is 2.")]
    [InlineData(0f, "The task's q-FFL exponent is 0; the accepted job's is 2.")]
    [InlineData(null, "The task's q-FFL exponent is none; the accepted job's is 2.")]
    public void Task_WithAnotherQ_IsRefusedNamingBoth(float? q, string reason)
    {
        TaskGuard guard = new(s_site, s_qffl, null, new SiteAudit(null, s_qffl.Name));

        Refused refused = Assert.IsType<Refused>(guard.Check(Task(s_qffl, q)));

        Assert.Equal(TaskGuard.TrainingRule, refused.Rule);
        Assert.Equal(reason, refused.Reason);
    }

    [Fact]
    public void Task_WithTheAcceptedQ_IsAccepted_AndAFedAvgSiteRefusesAnyQ()
    {
        JobDefinition fedavg = TestSites.Job(s_spec, 8, [], ["a"]);

        Assert.Null(new TaskGuard(s_site, s_qffl, null, new SiteAudit(null, s_qffl.Name)).Check(Task(s_qffl, 2)));
        Refused refused = Assert.IsType<Refused>(new TaskGuard(s_site, fedavg, null, new SiteAudit(null, fedavg.Name)).Check(Task(fedavg, 2)));
        Assert.Equal("The task's q-FFL exponent is 2; the accepted job's is none.", refused.Reason);
    }
}
