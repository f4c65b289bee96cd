namespace Consortia.Learning.Tests.Metrics;

/// <summary>Slow, obviously correct O(n²) definitions that the fast metrics are checked against.</summary>
internal static class ReferenceMetrics
{
    /// <summary>AUC by counting every (positive, negative) pair: 1 when the positive scores higher, ½ on a tie.</summary>
    public static double PairwiseAuc(float[] scores, float[] labels)
    {
        double credit = 0;
        long pairs = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (labels[i] != 1f)
            {
                continue;
            }

            for (int j = 0; j < scores.Length; j++)
            {
                if (labels[j] != 0f)
                {
                    continue;
                }

                pairs++;
                credit += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
            }
        }

        return pairs == 0 ? double.NaN : credit / pairs;
    }

    /// <summary>
    /// lifelines' naive concordance (lifelines/utils/concordance.py, <c>_naive_concordance_summary_statistics</c>)
    /// called as <c>concordance_index(times, -risks, events)</c>, restated pair by pair.
    /// </summary>
    public static (long Concordant, long Tied, long Pairs) PairwiseConcordance(float[] times, float[] events, float[] risks)
    {
        long concordant = 0, tied = 0, pairs = 0;
        for (int a = 0; a < times.Length; a++)
        {
            for (int b = a + 1; b < times.Length; b++)
            {
                bool eventA = events[a] == 1f, eventB = events[b] == 1f;
                bool comparable = times[a] == times[b]
                    ? eventA != eventB
                    : (eventA && eventB) || (eventA && times[a] < times[b]) || (eventB && times[b] < times[a]);
                if (!comparable)
                {
                    continue;
                }

                pairs++;
                // Predicted survival is -risk, as in the lifelines call.
                double predictedA = -risks[a], predictedB = -risks[b];
                if (predictedA == predictedB)
                {
                    tied++;
                }
                else if (predictedA < predictedB)
                {
                    concordant += times[a] < times[b] || (times[a] == times[b] && eventA && !eventB) ? 1 : 0;
                }
                else
                {
                    concordant += times[a] > times[b] || (times[a] == times[b] && !eventA && eventB) ? 1 : 0;
                }
            }
        }

        return (concordant, tied, pairs);
    }

    /// <summary>Accuracy with the strict FLamby comparison, one example at a time.</summary>
    public static double ScalarAccuracy(float[] probabilities, float[] labels, float threshold)
    {
        int correct = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            correct += (probabilities[i] > threshold ? 1f : 0f) == labels[i] ? 1 : 0;
        }

        return (double)correct / probabilities.Length;
    }

    /// <summary>scikit-learn's log_loss formula: clip to [eps, 1 − eps], then mean −[y ln p + (1 − y) ln(1 − p)].</summary>
    public static double ScalarLogLoss(float[] probabilities, float[] labels, double epsilon)
    {
        double total = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = Math.Clamp(probabilities[i], epsilon, 1 - epsilon);
            total -= labels[i] == 1f ? Math.Log(p) : Math.Log(1 - p);
        }

        return total / probabilities.Length;
    }

    /// <summary>Mean squared error between probability and label.</summary>
    public static double ScalarBrier(float[] probabilities, float[] labels)
    {
        double total = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double d = (double)probabilities[i] - labels[i];
            total += d * d;
        }

        return total / probabilities.Length;
    }
}
