using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Local;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;

namespace Consortia.Federation.Tests.Fairness;

public sealed class QFairWeightingTests
{
    [Theory]
    [InlineData(0f, 0.7)]
    [InlineData(1f, 0.7)]
    [InlineData(5f, 1.3)]
    public void QFairWeighting_WeightTimesScaledDelta_IsLossToTheQTimesDelta(float q, double loss)
    {
        ModelSpec spec = new(ModelKind.Logistic, 3, []);
        ParameterVector delta = new(spec.CreateLayout());
        float[] original = [0.2f, -0.1f, 0.05f, 0.3f];
        original.CopyTo(delta.Values);
        TrainTask task = new(new SiteId("a"), new RoundNumber(1), new ParameterVector(spec.CreateLayout()), new LocalTrainingOptions { FairnessQ = q });
        UpdateDraft draft = new(task, delta, 10, 0.5, 1, 10);

        SiteTrainer.QFairWeighting(draft, q, loss, learningRate: 0.05f);

        // q-FedAvg: h/L = q·F^(q−1)·L·‖δ‖² + F^q with L = 1/η; the weighted delta the sum carries is F^q·δ.
        double squaredNorm = original.Sum(v => (double)v * v);
        double expectedWeight = (q * Math.Pow(loss, q - 1) * 20 * squaredNorm) + Math.Pow(loss, q);
        Assert.Equal(expectedWeight, draft.Weight, tolerance: expectedWeight * 1e-6); // ‖δ‖² and 1/η are float arithmetic at the site
        for (int i = 0; i < original.Length; i++)
        {
            Assert.Equal(Math.Pow(loss, q) * original[i], draft.Weight * draft.Delta.Values[i], 5);
        }
    }
}
