using Consortia.Network.Protos;

namespace Consortia.Network.Coordinator;

/// <summary>A job's model as the admin API returns it (what <c>consortia job model</c> writes).</summary>
/// <param name="JobId">The job's id, which is also its run id in the ledgers.</param>
/// <param name="Name">The job's name.</param>
/// <param name="Status">The job's state when the model was read.</param>
/// <param name="Round">The last committed round.</param>
/// <param name="ModelRound">The round that produced the parameters (lower than <paramref name="Round"/> when later rounds did not aggregate).</param>
/// <param name="Segments">The parameter layout: each segment's name and shape, in order.</param>
/// <param name="Values">The parameters, in layout order.</param>
/// <param name="Sha256">SHA-256 of the float32 values (lower-case hex, as in the ledgers' model-released entries).</param>
public sealed record ModelDownload(
    string JobId, string Name, string Status, int Round, int ModelRound, IReadOnlyList<ModelSegmentShape> Segments, IReadOnlyList<float> Values, string Sha256)
{
    internal static ModelDownload FromWire(ModelExport export) => new(
        export.JobId, export.Name, export.Status, export.Round, export.ModelRound,
        [.. export.Segments.Select(s => new ModelSegmentShape(s.Name, [.. s.Shape]))], [.. export.Values], export.Sha256);
}

/// <summary>One named segment of a model's parameter layout.</summary>
/// <param name="Name">The segment's name, e.g. <c>weights</c>.</param>
/// <param name="Shape">Its shape.</param>
public sealed record ModelSegmentShape(string Name, IReadOnlyList<int> Shape);
