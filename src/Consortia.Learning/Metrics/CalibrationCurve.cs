using System.Collections.Immutable;

namespace Consortia.Learning.Metrics;

/// <summary>A reliability diagram: predicted probabilities grouped into equal-width bins, with calibration errors.</summary>
/// <param name="Bins">The bins in increasing order of probability, all of them, empty ones included.</param>
/// <param name="Count">The total number of examples.</param>
/// <param name="ExpectedCalibrationError">
/// The expected calibration error: the mean over examples of their bin's <see cref="CalibrationBin.Gap"/>,
/// that is Σ<sub>k</sub> (n<sub>k</sub>/n)·|mean predicted<sub>k</sub> − observed rate<sub>k</sub>|.
/// </param>
/// <param name="MaximumCalibrationError">The largest <see cref="CalibrationBin.Gap"/> over the non-empty bins.</param>
/// <remarks>
/// Record equality is shallow: <see cref="Bins"/> compares by the identity of its underlying array, so two
/// curves computed separately are not <see cref="object.Equals(object)"/>; compare bins element-wise instead.
/// </remarks>
public sealed record CalibrationCurve(
    ImmutableArray<CalibrationBin> Bins,
    int Count,
    double ExpectedCalibrationError,
    double MaximumCalibrationError);
