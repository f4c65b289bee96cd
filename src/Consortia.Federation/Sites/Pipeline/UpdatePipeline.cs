namespace Consortia.Federation.Sites.Pipeline;

/// <summary>A site's update stages in their fixed order (<see cref="UpdateStageKind"/>).</summary>
/// <remarks>New protections are new stages; the pipeline sorts them, so the order never depends on who added what first.</remarks>
internal sealed class UpdatePipeline
{
    private readonly IUpdateStage[] _stages;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="stages">The stages, in any order.</param>
    /// <exception cref="ArgumentException">Two stages share a kind.</exception>
    public UpdatePipeline(IEnumerable<IUpdateStage> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        _stages = [.. stages.OrderBy(s => s.Kind)];
        for (int i = 1; i < _stages.Length; i++)
        {
            if (_stages[i].Kind == _stages[i - 1].Kind)
            {
                throw new ArgumentException($"The update pipeline has two {_stages[i].Kind} stages ({_stages[i - 1].GetType().Name}, {_stages[i].GetType().Name}); each kind runs at most once.", nameof(stages));
            }
        }
    }

    /// <summary>The stages' kinds, in the order they run.</summary>
    public IReadOnlyList<UpdateStageKind> Kinds => [.. _stages.Select(s => s.Kind)];

    /// <summary>Runs every stage on the draft, in order.</summary>
    /// <param name="draft">The round's update.</param>
    public void Apply(UpdateDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        foreach (IUpdateStage stage in _stages)
        {
            stage.Apply(draft);
        }
    }

    /// <summary>Runs the stages from <paramref name="first"/> on, in order (a held update joining its secure session later).</summary>
    /// <param name="first">The first stage kind to run.</param>
    /// <param name="draft">The update.</param>
    public void ApplyFrom(UpdateStageKind first, UpdateDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        foreach (IUpdateStage stage in _stages.Where(s => s.Kind >= first))
        {
            stage.Apply(draft);
        }
    }
}
