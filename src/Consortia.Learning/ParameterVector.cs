using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Consortia.Learning;

/// <summary>A flat float vector of model parameters (or of an update) with a named, shaped layout.</summary>
/// <remarks>
/// Equality is explicit: <see cref="ContentEquals"/> compares layouts and values bit for bit, which is
/// what determinism tests need. The type does not override <see cref="object.Equals(object)"/>, so two
/// vectors are equal by reference only unless compared through <see cref="ContentEquals"/>.
/// </remarks>
public sealed class ParameterVector
{
    private readonly float[] _values;

    /// <summary>Creates a zero vector with the given layout.</summary>
    /// <param name="layout">The layout.</param>
    public ParameterVector(ParameterLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        _values = new float[layout.Length];
    }

    /// <summary>Creates a vector over a copy of <paramref name="values"/>.</summary>
    /// <param name="layout">The layout.</param>
    /// <param name="values">The values; their count must equal the layout length.</param>
    /// <exception cref="ArgumentException">The length does not match the layout.</exception>
    public ParameterVector(ParameterLayout layout, ReadOnlySpan<float> values)
        : this(layout)
    {
        if (values.Length != layout.Length)
        {
            throw new ArgumentException($"Expected {layout.Length} values for layout {layout}, got {values.Length}.", nameof(values));
        }

        values.CopyTo(_values);
    }

    /// <summary>The layout of the vector.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>The number of values.</summary>
    public int Length => _values.Length;

    /// <summary>The values as a writable span.</summary>
    public Span<float> Values => _values;

    /// <summary>The values as a read-only memory, for asynchronous APIs.</summary>
    public ReadOnlyMemory<float> Memory => _values;

    /// <summary>Returns the values of one named segment.</summary>
    /// <param name="name">The segment name.</param>
    /// <returns>A writable span over the segment.</returns>
    public Span<float> Segment(string name)
    {
        ParameterSegment s = Layout[name];
        return _values.AsSpan(s.Offset, s.Length);
    }

    /// <summary>Returns a deep copy.</summary>
    /// <returns>A new vector with the same layout and values.</returns>
    public ParameterVector Clone() => new(Layout, _values);

    /// <summary>Compares layout and values bit for bit (so NaN equals NaN and 0 differs from −0).</summary>
    /// <param name="other">The other vector.</param>
    /// <returns>Whether both are identical.</returns>
    public bool ContentEquals(ParameterVector? other) =>
        other is not null && Layout.Equals(other.Layout) &&
        MemoryMarshal.AsBytes(_values.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other._values.AsSpan()));

    /// <summary>The Euclidean norm of the values.</summary>
    /// <returns>‖v‖₂.</returns>
    public float L2Norm() => TensorPrimitives.Norm(_values);

    /// <summary>Whether every value is finite (no NaN or infinity).</summary>
    /// <returns><see langword="true"/> when all values are finite.</returns>
    public bool IsFinite()
    {
        foreach (float v in _values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }
}
