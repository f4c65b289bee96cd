using System.Collections.Immutable;

namespace Consortia.Learning;

/// <summary>A named, shaped slice of a flat parameter vector (for example a layer's weight matrix).</summary>
/// <param name="Name">The segment name, unique within its layout (e.g. <c>"layer0.weight"</c>).</param>
/// <param name="Offset">The index of the segment's first value in the flat vector.</param>
/// <param name="Shape">The tensor shape, row-major; its product is the segment length.</param>
public sealed record ParameterSegment(string Name, int Offset, ImmutableArray<int> Shape)
{
    /// <summary>The number of values in the segment (the product of <see cref="Shape"/>).</summary>
    public int Length
    {
        get
        {
            int length = 1;
            foreach (int dim in Shape)
            {
                length *= dim;
            }

            return length;
        }
    }
}
