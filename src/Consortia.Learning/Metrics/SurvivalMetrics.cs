using System.Buffers;

namespace Consortia.Learning.Metrics;

/// <summary>Metrics of survival (time-to-event) models: Harrell's concordance index.</summary>
/// <remarks>All methods are pure and thread-safe; scratch space is rented from <see cref="ArrayPool{T}.Shared"/>.</remarks>
public static class SurvivalMetrics
{
    /// <summary>Harrell's concordance index (C-index) of risk scores against censored event times.</summary>
    /// <param name="times">The time of the event or of censoring, one per subject.</param>
    /// <param name="events">The event indicator per subject: 1 when the event was observed at that time, 0 when censored.</param>
    /// <param name="riskScores">The predicted risk per subject; a higher risk means an earlier event is expected.</param>
    /// <returns>
    /// The C-index in [0, 1] (0.5 for random scores, 1 for a perfect ranking), or <see cref="double.NaN"/> when no
    /// pair is comparable, for instance when every subject is censored. (lifelines raises
    /// <c>ZeroDivisionError</c> there; a NaN lets a per-site evaluation report "undefined" as a value.)
    /// </returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, a time or a risk score is NaN, or an event indicator is not 0 or 1.</exception>
    /// <remarks>See <see cref="Concordance"/> for which pairs are comparable and how ties count.</remarks>
    public static double ConcordanceIndex(ReadOnlySpan<float> times, ReadOnlySpan<float> events, ReadOnlySpan<float> riskScores) =>
        Concordance(times, events, riskScores).Index;

    /// <summary>Counts the comparable, concordant and risk-tied pairs that make up Harrell's C-index.</summary>
    /// <param name="times">The time of the event or of censoring, one per subject.</param>
    /// <param name="events">The event indicator per subject: 1 when the event was observed at that time, 0 when censored.</param>
    /// <param name="riskScores">The predicted risk per subject; a higher risk means an earlier event is expected.</param>
    /// <returns>The pair counts; <see cref="ConcordanceCounts.Index"/> is the C-index.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, a time or a risk score is NaN, or an event indicator is not 0 or 1.</exception>
    /// <remarks>
    /// <para>
    /// The result equals <c>lifelines.utils.concordance_index(times, -riskScores, events)</c>, ties included.
    /// A pair (i, j) is comparable when the subject that leaves first had the event: t<sub>i</sub> &lt; t<sub>j</sub>
    /// with i an event (j may be censored), or t<sub>i</sub> = t<sub>j</sub> with i an event and j censored (the censored
    /// subject is taken to have survived longer). Two events at the same time, two censored subjects, and an event
    /// after a censoring time are not comparable. A comparable pair is concordant when the earlier subject's risk
    /// is strictly higher, and counts one half when the risks are equal.
    /// </para>
    /// <para>
    /// O(n log n): subjects are swept in time order (events before censorings at equal times) while a Fenwick
    /// tree over the ranks of the event subjects' risks counts, for each subject, the earlier events with higher and
    /// equal risk. Reference: Harrell, Lee and Mark, Statistics in Medicine 15(4), 1996.
    /// </para>
    /// </remarks>
    public static ConcordanceCounts Concordance(ReadOnlySpan<float> times, ReadOnlySpan<float> events, ReadOnlySpan<float> riskScores)
    {
        MetricInput.RequirePaired(times.Length, events.Length, nameof(times), nameof(events));
        MetricInput.RequirePaired(times.Length, riskScores.Length, nameof(times), nameof(riskScores));
        MetricInput.RequireNotNaN(times, nameof(times));
        MetricInput.RequireBinary(events, nameof(events));
        MetricInput.RequireNotNaN(riskScores, nameof(riskScores));

        int n = times.Length;
        int eventCount = 0;
        foreach (float e in events)
        {
            eventCount += e == 1f ? 1 : 0;
        }

        if (eventCount == 0)
        {
            return default;
        }

        int censoredCount = n - eventCount;
        // One rented block holds, in order: event times, event risks, censored times, censored risks, and the
        // sorted distinct event risks that index the Fenwick tree.
        float[] floatBuffer = ArrayPool<float>.Shared.Rent((2 * n) + eventCount);
        int[] treeBuffer = ArrayPool<int>.Shared.Rent(eventCount + 1);
        try
        {
            Span<float> eventTimes = floatBuffer.AsSpan(0, eventCount);
            Span<float> eventRisks = floatBuffer.AsSpan(eventCount, eventCount);
            Span<float> censoredTimes = floatBuffer.AsSpan(2 * eventCount, censoredCount);
            Span<float> censoredRisks = floatBuffer.AsSpan((2 * eventCount) + censoredCount, censoredCount);
            Span<float> distinctRisks = floatBuffer.AsSpan(2 * n, eventCount);

            int ei = 0, ci = 0;
            for (int i = 0; i < n; i++)
            {
                if (events[i] == 1f)
                {
                    eventTimes[ei] = times[i];
                    eventRisks[ei++] = riskScores[i];
                }
                else
                {
                    censoredTimes[ci] = times[i];
                    censoredRisks[ci++] = riskScores[i];
                }
            }

            eventTimes.Sort(eventRisks);
            censoredTimes.Sort(censoredRisks);
            eventRisks.CopyTo(distinctRisks);
            distinctRisks.Sort();
            distinctRisks = distinctRisks[..Deduplicate(distinctRisks)];

            FenwickCounter pool = new(treeBuffer.AsSpan(0, distinctRisks.Length + 1));
            long concordant = 0, tied = 0, pairs = 0;
            ei = 0;
            ci = 0;
            while (ei < eventCount || ci < censoredCount)
            {
                // At equal times the events go first, so censorings at that time are compared with them.
                bool censoredNext = ci < censoredCount && (ei == eventCount || eventTimes[ei] > censoredTimes[ci]);
                Span<float> groupTimes = censoredNext ? censoredTimes : eventTimes;
                Span<float> groupRisks = censoredNext ? censoredRisks : eventRisks;
                int start = censoredNext ? ci : ei;
                int end = start;
                while (end < groupTimes.Length && groupTimes[end] == groupTimes[start])
                {
                    end++;
                }

                // Every subject in the group is comparable with every earlier event already in the pool.
                for (int k = start; k < end; k++)
                {
                    float risk = groupRisks[k];
                    int below = pool.CountBelow(LowerBound(distinctRisks, risk));
                    int atOrBelow = pool.CountBelow(UpperBound(distinctRisks, risk));
                    concordant += pool.Total - atOrBelow;
                    tied += atOrBelow - below;
                    pairs += pool.Total;
                }

                if (censoredNext)
                {
                    ci = end;
                }
                else
                {
                    // Events join the pool only after their whole group, since tied event times are not comparable;
                    // censored subjects never join, since nothing after them is comparable with them.
                    for (int k = start; k < end; k++)
                    {
                        pool.Add(LowerBound(distinctRisks, groupRisks[k]));
                    }

                    ei = end;
                }
            }

            return new ConcordanceCounts(concordant, tied, pairs);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floatBuffer);
            ArrayPool<int>.Shared.Return(treeBuffer);
        }
    }

    private static int Deduplicate(Span<float> sorted)
    {
        int length = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            if (length == 0 || sorted[i] != sorted[length - 1])
            {
                sorted[length++] = sorted[i];
            }
        }

        return length;
    }

    // The number of values in the sorted span that are strictly less than value.
    private static int LowerBound(ReadOnlySpan<float> sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    // The number of values in the sorted span that are less than or equal to value.
    private static int UpperBound(ReadOnlySpan<float> sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
