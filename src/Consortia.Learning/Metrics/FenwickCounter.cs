using System.Diagnostics;

namespace Consortia.Learning.Metrics;

/// <summary>A Fenwick (binary indexed) tree counting how many values were added at each of a fixed set of ranks.</summary>
/// <remarks>Both operations are O(log m) for m ranks; the tree lives in caller-provided storage of m + 1 ints.</remarks>
internal ref struct FenwickCounter
{
    private readonly Span<int> _tree;

    /// <summary>Creates an empty counter over <c>storage.Length − 1</c> ranks.</summary>
    public FenwickCounter(Span<int> storage)
    {
        Debug.Assert(storage.Length >= 1, "The tree needs its unused slot 0.");
        storage.Clear();
        _tree = storage;
        Total = 0;
    }

    /// <summary>The number of values added so far.</summary>
    public int Total { get; private set; }

    /// <summary>Records one value at the zero-based rank.</summary>
    public void Add(int rank)
    {
        Debug.Assert(rank >= 0 && rank < _tree.Length - 1, "The rank is outside the tree.");
        for (int i = rank + 1; i < _tree.Length; i += i & -i)
        {
            _tree[i]++;
        }

        Total++;
    }

    /// <summary>The number of values added at ranks strictly below <paramref name="rank"/>.</summary>
    public readonly int CountBelow(int rank)
    {
        Debug.Assert(rank >= 0 && rank < _tree.Length, "The rank is outside the tree.");
        int count = 0;
        for (int i = rank; i > 0; i -= i & -i)
        {
            count += _tree[i];
        }

        return count;
    }
}
