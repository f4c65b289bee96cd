namespace Consortia.Federation.Sites.Pipeline;

/// <summary>One step in the processing of a site's update between local training and what leaves the site.</summary>
/// <remarks>A stage decides from the draft's task whether it applies; when it does not, it leaves the draft unchanged.</remarks>
internal interface IUpdateStage
{
    /// <summary>The stage's place in the pipeline.</summary>
    public UpdateStageKind Kind { get; }

    /// <summary>Transforms the draft in place.</summary>
    /// <param name="draft">The round's update on its way out.</param>
    public void Apply(UpdateDraft draft);
}
