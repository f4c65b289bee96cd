namespace Consortia.Privacy.DpSgd;

/// <summary>How DP-SGD draws its batches.</summary>
public enum BatchSampling
{
    /// <summary>Each row joins each batch independently with probability q = B/n: the accountant's assumption.</summary>
    Poisson,

    /// <summary>
    /// Shuffled fixed-size batches of B rows. Refused under DP (<see cref="DpSgdOptions.Validate"/>, rule
    /// <c>dp-poisson-sampling</c>): the sampled Gaussian accountant assumes Poisson sampling, and charging fixed-size
    /// batches as rate B/n understates ε. Named so that a job or task asking for it can be refused by name.
    /// </summary>
    FixedSize,
}
