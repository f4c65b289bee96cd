using Consortia.Data;
using Consortia.Learning;

namespace Consortia.TestKit;

/// <summary>Seeded builders of test data.</summary>
public static class Some
{
    /// <summary>
    /// A federated binary-classification dataset: <paramref name="sites"/> sites whose rows follow one
    /// logistic model, with site-specific feature shifts (non-IID) and sizes.
    /// </summary>
    /// <param name="sites">The number of sites.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="features">The number of features.</param>
    /// <returns>The dataset, pooled part included.</returns>
    public static FederatedDataset ClassificationFederation(int sites = 4, ulong seed = 1, int features = 5)
    {
        RandomSource random = new(seed);
        float[] truth = new float[features];
        for (int i = 0; i < features; i++)
        {
            truth[i] = (float)random.NextGaussian();
        }

        string[] names = [.. Enumerable.Range(0, features).Select(i => $"x{i}")];
        List<SiteData> parts = [];
        for (int s = 0; s < sites; s++)
        {
            int rows = 40 + (25 * s);
            float shift = 0.5f * s;
            parts.Add(new SiteData($"site{s}", Make(rows), Make(rows / 3)));

            Dataset Make(int n)
            {
                float[] x = new float[n * features];
                float[] y = new float[n];
                for (int r = 0; r < n; r++)
                {
                    double z = 0;
                    for (int f = 0; f < features; f++)
                    {
                        float v = (float)random.NextGaussian() + (f == 0 ? shift : 0f);
                        x[(r * features) + f] = v;
                        z += v * truth[f];
                    }

                    y[r] = random.NextDouble() < 1 / (1 + Math.Exp(-2 * z)) ? 1f : 0f;
                }

                return new Dataset(names, x, y);
            }
        }

        SiteData pooled = new("pooled", Dataset.Concat([.. parts.Select(p => p.Train)]), Dataset.Concat([.. parts.Select(p => p.Test)]));
        return new FederatedDataset("synthetic", LearningTask.BinaryClassification, parts, pooled);
    }
}
