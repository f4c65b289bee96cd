namespace Consortia.Data.Preprocessing;

/// <summary>One site's encoded but unscaled rows, with the row indices of its train and test parts.</summary>
/// <param name="Name">The site name.</param>
/// <param name="Features">The encoded features, one row per record.</param>
/// <param name="Labels">The label (or survival event) of each row.</param>
/// <param name="Times">The survival time of each row, or <see langword="null"/> for classification.</param>
/// <param name="Train">The rows of the training part, in order.</param>
/// <param name="Test">The rows of the test part, in order.</param>
internal sealed record RawSite(string Name, FeatureMatrix Features, double[] Labels, double[]? Times, int[] Train, int[] Test);
