using System.Buffers.Binary;
using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Graph;

/// <summary>
/// The neighbour graph of a session over the participants that advertised keys (U1): complete, or the
/// SecAgg+ Harary graph H(m, k) with labels permuted by a seed both sides can recompute
/// (design reference §2.6).
/// </summary>
/// <remarks>
/// The permutation is a Fisher–Yates shuffle of the sorted members driven by the AES-256-CTR keystream
/// keyed with HKDF(GraphSeed, info = "consortia.secagg.v1.graph"), drawing little-endian 32-bit words
/// with rejection sampling for unbiased indices. On the ring in permuted order each member is connected
/// to the k/2 members on either side. With m ≤ k + 1 members the graph is complete.
/// </remarks>
internal sealed class NeighbourGraph
{
    private readonly Dictionary<int, int[]> _neighbours;

    private NeighbourGraph(Dictionary<int, int[]> neighbours) => _neighbours = neighbours;

    /// <summary>Builds the graph over <paramref name="members"/> (sorted, distinct).</summary>
    /// <param name="members">The participant indices of U1.</param>
    /// <param name="degree">k, or <see langword="null"/> for the complete graph.</param>
    /// <param name="graphSeed">The 32-byte graph seed; unused for the complete graph.</param>
    public static NeighbourGraph Build(IReadOnlyList<int> members, int? degree, ReadOnlySpan<byte> graphSeed)
    {
        int m = members.Count;
        Dictionary<int, int[]> neighbours = new(m);
        if (degree is null || degree.Value + 1 >= m)
        {
            foreach (int member in members)
            {
                int[] others = new int[m - 1];
                int next = 0;
                foreach (int other in members)
                {
                    if (other != member)
                    {
                        others[next++] = other;
                    }
                }

                neighbours[member] = others;
            }

            return new NeighbourGraph(neighbours);
        }

        int[] ring = Permute(members, graphSeed);
        int half = degree.Value / 2;
        for (int position = 0; position < m; position++)
        {
            int[] adjacent = new int[2 * half];
            for (int offset = 1; offset <= half; offset++)
            {
                adjacent[(2 * offset) - 2] = ring[(position + offset) % m];
                adjacent[(2 * offset) - 1] = ring[(position - offset + m) % m];
            }

            Array.Sort(adjacent);
            neighbours[ring[position]] = adjacent;
        }

        return new NeighbourGraph(neighbours);
    }

    /// <summary>The sorted neighbours of <paramref name="member"/> (excluding itself).</summary>
    public IReadOnlyList<int> NeighboursOf(int member) => _neighbours[member];

    /// <summary>Whether <paramref name="member"/> is a vertex of the graph.</summary>
    public bool Contains(int member) => _neighbours.ContainsKey(member);

    /// <summary>The ring order: <paramref name="members"/> permuted by the seed.</summary>
    internal static int[] Permute(IReadOnlyList<int> members, ReadOnlySpan<byte> graphSeed)
    {
        int[] ring = [.. members];
        Span<byte> key = stackalloc byte[KeyDerivation.KeyLength];
        KeyDerivation.GraphKey(graphSeed, key);
        using Aes aes = Aes.Create();
        aes.SetKey(key);
        key.Clear();

        byte[] words = new byte[4096];
        int position = words.Length;
        UInt128 counter = UInt128.Zero;
        for (int i = ring.Length - 1; i > 0; i--)
        {
            uint bound = (uint)(i + 1);
            uint rejectBelow = (uint)((1UL << 32) % bound); // values below this would bias the modulo
            uint draw;
            do
            {
                if (position == words.Length)
                {
                    AesCtr.Generate(aes, counter, words);
                    counter += (UInt128)(words.Length / 16);
                    position = 0;
                }

                draw = BinaryPrimitives.ReadUInt32LittleEndian(words.AsSpan(position, 4));
                position += 4;
            }
            while (draw < rejectBelow);

            int j = (int)(draw % bound);
            (ring[i], ring[j]) = (ring[j], ring[i]);
        }

        return ring;
    }
}
