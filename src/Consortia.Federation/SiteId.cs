namespace Consortia.Federation;

/// <summary>The name of a site (a hospital, a region, a simulated client).</summary>
/// <param name="Value">The site name, unique within a job.</param>
public readonly record struct SiteId(string Value)
{
    /// <inheritdoc />
    public override string ToString() => Value;
}
