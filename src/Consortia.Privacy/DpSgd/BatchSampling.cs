namespace Consortia.Privacy.DpSgd;

/// <summary>How DP-SGD draws its batches.</summary>
public enum BatchSampling
{
    /// <summary>Each row joins each batch independently with probability q = B/n: the accountant's assumption.</summary>
    Poisson,

    /// <summary>Shuffled fixed-size batches of B rows; accounted as sampling rate B/n (the usual approximation, stated in reports).</summary>
    FixedSize,
}
