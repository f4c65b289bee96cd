using System.Collections.Concurrent;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;

namespace Consortia.Federation.Sites.Local;

/// <summary>
/// Trainers (the scratch buffers of a model and a batch: gathered rows, activations, gradient) shared by every site of a
/// process, as <see cref="System.Buffers.ArrayPool{T}.Shared"/> shares arrays: a site rents one for the duration of a
/// task and returns it, so an idle site holds none.
/// </summary>
/// <remarks>
/// A simulation of 1,000 sites on a model of 10,000 features would otherwise keep 1,000 gather buffers of batch × 10,000
/// floats (640 KiB each at batch 16) although at most as many sites as the transport's parallelism train at once. A trainer
/// carries nothing from one call to the next (its buffers are overwritten and its shuffle order refilled every call), so
/// which one a site gets does not change its result. At most <see cref="IdleLimit"/> idle trainers per shape are kept.
/// </remarks>
internal static class TrainerPool
{
    private static readonly ConcurrentDictionary<string, ConcurrentBag<LocalTrainer>> s_plain = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, ConcurrentBag<DpSgdTrainer>> s_private = new(StringComparer.Ordinal);

    /// <summary>Idle trainers kept per model shape and batch: enough for every core and a thread waiting on each.</summary>
    public static int IdleLimit { get; } = 2 * Environment.ProcessorCount;

    /// <summary>Runs <paramref name="use"/> with a plain trainer for <paramref name="spec"/> and batches up to <paramref name="batchSize"/>.</summary>
    public static T WithPlain<T>(ModelSpec spec, int batchSize, Func<LocalTrainer, T> use) =>
        With(s_plain, Key(spec, batchSize), () => new LocalTrainer(spec, batchSize), use);

    /// <summary>Runs <paramref name="use"/> with a DP-SGD trainer for <paramref name="spec"/>.</summary>
    public static T WithPrivate<T>(ModelSpec spec, Func<DpSgdTrainer, T> use) =>
        With(s_private, Key(spec, 0), () => new DpSgdTrainer(spec), use);

    private static T With<TTrainer, T>(ConcurrentDictionary<string, ConcurrentBag<TTrainer>> pool, string key, Func<TTrainer> create, Func<TTrainer, T> use)
    {
        ConcurrentBag<TTrainer> idle = pool.GetOrAdd(key, _ => []);
        TTrainer trainer = idle.TryTake(out TTrainer? taken) ? taken : create();
        try
        {
            return use(trainer);
        }
        finally
        {
            if (idle.Count < IdleLimit)
            {
                idle.Add(trainer);
            }
        }
    }

    /// <summary>The shape a trainer's buffers depend on (record equality of <see cref="ModelSpec"/> compares its hidden widths by reference).</summary>
    private static string Key(ModelSpec spec, int batchSize) =>
        $"{spec.Kind}:{spec.FeatureCount}:{string.Join(',', spec.HiddenLayers)}:{spec.L2:R}:{batchSize}";
}
