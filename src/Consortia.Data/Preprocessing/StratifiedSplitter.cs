using System.Diagnostics;
using Consortia.Learning;

namespace Consortia.Data.Preprocessing;

/// <summary>
/// A seeded train/test split stratified on the label: the test part has <c>ceil(fraction × n)</c> rows,
/// shared among the classes in proportion to their sizes (largest remainders first), each class
/// shuffled with the given <see cref="RandomSource"/>.
/// </summary>
/// <remarks>
/// As in FLamby's use of scikit-learn, the split is stratified only when every class has at least two
/// rows; otherwise it is a plain shuffled split. Both parts keep the original row order.
/// </remarks>
internal static class StratifiedSplitter
{
    public static (int[] Train, int[] Test) Split(ReadOnlySpan<double> labels, double testFraction, RandomSource random)
    {
        int n = labels.Length;
        Debug.Assert(n >= 2 && testFraction is > 0 and < 1, "Caller checks.");
        int testCount = Math.Clamp((int)Math.Ceiling((testFraction * n) - 1e-9), 1, n - 1);

        double[] classes = [.. labels.ToArray().Distinct().Order()];
        var members = new List<int>[classes.Length];
        for (int k = 0; k < classes.Length; k++)
        {
            members[k] = [];
        }

        for (int i = 0; i < n; i++)
        {
            members[Array.BinarySearch(classes, labels[i])].Add(i);
        }

        if (classes.Length < 2 || members.Any(m => m.Count < 2))
        {
            members = [[.. Enumerable.Range(0, n)]];
        }

        int[] counts = [.. members.Select(m => m.Count)];

        // Leave every class at least one training row when the test size allows it.
        int[] caps = [.. counts.Select(c => c - 1)];
        if (caps.Sum() < testCount)
        {
            caps = counts;
        }

        int[] testPerClass = Allocation.LargestRemainder([.. counts.Select(c => (double)c)], testCount, caps);

        bool[] isTest = new bool[n];
        for (int k = 0; k < members.Length; k++)
        {
            int[] shuffled = [.. members[k]];
            random.Shuffle<int>(shuffled);
            for (int i = 0; i < testPerClass[k]; i++)
            {
                isTest[shuffled[i]] = true;
            }
        }

        var train = new List<int>(n - testCount);
        var test = new List<int>(testCount);
        for (int i = 0; i < n; i++)
        {
            (isTest[i] ? test : train).Add(i);
        }

        return ([.. train], [.. test]);
    }
}
