namespace Consortia.Federation.Simulation.Profiles;

/// <summary>A profile value: fixed (<see cref="Min"/> = <see cref="Max"/>) or drawn per site, log-uniformly, from [<see cref="Min"/>, <see cref="Max"/>].</summary>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
/// <remarks>Log-uniform because speeds and bandwidths spread over orders of magnitude: a 10× spread puts as many sites between 1× and 3.16× as between 3.16× and 10×.</remarks>
public sealed record ProfileRange(double Min, double Max)
{
    /// <summary>A fixed value.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The range [value, value].</returns>
    public static ProfileRange Fixed(double value) => new(value, value);

    /// <summary>Draws a value.</summary>
    /// <param name="random">The site's random source (derived from the job seed).</param>
    /// <returns>The value.</returns>
    public double Draw(Learning.RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u = random.NextDouble(); // drawn even for a fixed value, so adding a range elsewhere never shifts this site's draws
        return Min == Max || Min <= 0 ? Min : Math.Exp(Math.Log(Min) + (u * (Math.Log(Max) - Math.Log(Min))));
    }
}
