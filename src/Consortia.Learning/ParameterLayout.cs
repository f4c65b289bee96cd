using System.Collections.Immutable;

namespace Consortia.Learning;

/// <summary>The ordered list of named, shaped segments that make up a model's flat parameter vector.</summary>
public sealed class ParameterLayout : IEquatable<ParameterLayout>
{
    private readonly ImmutableArray<ParameterSegment> _segments;

    private ParameterLayout(ImmutableArray<ParameterSegment> segments, int length)
    {
        _segments = segments;
        Length = length;
    }

    /// <summary>The segments in storage order.</summary>
    public IReadOnlyList<ParameterSegment> Segments => _segments;

    /// <summary>The total number of parameters.</summary>
    public int Length { get; }

    /// <summary>Builds a layout from (name, shape) pairs laid out contiguously in the given order.</summary>
    /// <param name="segments">Segment names and shapes.</param>
    /// <returns>The layout.</returns>
    /// <exception cref="ArgumentException">A name repeats or a dimension is not positive.</exception>
    public static ParameterLayout Create(params ReadOnlySpan<(string Name, int[] Shape)> segments)
    {
        ImmutableArray<ParameterSegment>.Builder builder = ImmutableArray.CreateBuilder<ParameterSegment>(segments.Length);
        HashSet<string> names = new(StringComparer.Ordinal);
        int offset = 0;
        foreach ((string name, int[] shape) in segments)
        {
            if (!names.Add(name))
            {
                throw new ArgumentException($"Segment name '{name}' is used twice.", nameof(segments));
            }

            if (shape.Length == 0 || shape.Any(d => d <= 0))
            {
                throw new ArgumentException($"Segment '{name}' needs a non-empty shape of positive dimensions.", nameof(segments));
            }

            ParameterSegment segment = new(name, offset, [.. shape]);
            builder.Add(segment);
            offset = checked(offset + segment.Length);
        }

        return new ParameterLayout(builder.MoveToImmutable(), offset);
    }

    /// <summary>Finds a segment by name.</summary>
    /// <param name="name">The segment name.</param>
    /// <returns>The segment.</returns>
    /// <exception cref="KeyNotFoundException">No segment has that name.</exception>
    public ParameterSegment this[string name]
    {
        get
        {
            foreach (ParameterSegment s in _segments)
            {
                if (string.Equals(s.Name, name, StringComparison.Ordinal))
                {
                    return s;
                }
            }

            throw new KeyNotFoundException($"The layout has no segment named '{name}'.");
        }
    }

    /// <inheritdoc />
    public bool Equals(ParameterLayout? other)
    {
        if (other is null || other.Length != Length || other._segments.Length != _segments.Length)
        {
            return false;
        }

        for (int i = 0; i < _segments.Length; i++)
        {
            ParameterSegment a = _segments[i], b = other._segments[i];
            if (!string.Equals(a.Name, b.Name, StringComparison.Ordinal) || a.Offset != b.Offset || !a.Shape.SequenceEqual(b.Shape))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ParameterLayout other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Length, _segments.Length);

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", _segments.Select(s => $"{s.Name}[{string.Join('×', s.Shape)}]"));
}
