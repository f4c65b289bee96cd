using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Benchmarks;

/// <summary>
/// The engine's own cost per site per round: sites answer at once with a ready update, so what is measured
/// is planning, dispatch, collection, canonical ordering, summation and the strategy step. Each operation
/// is one site-round (mean = cost per site per round).
/// </summary>
[MemoryDiagnoser]
public class EngineOverheadBenchmark
{
    private RoundEngine _engine = null!;
    private GlobalModel _model = null!;
    private RandomSource _random = null!;

    [Params(10, 100, 1000)]
    public int Sites { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ModelSpec spec = new(ModelKind.Logistic, 13, []);
        ParameterVector parameters = new(spec.CreateLayout());
        _model = new GlobalModel(spec, parameters, new RoundNumber(0));
        InstantTransport transport = new([.. Enumerable.Range(0, Sites).Select(i => new SiteId($"site{i}"))], parameters);
        _engine = new RoundEngine(transport, new FedAvgStrategy(new FedAvgOptions()), new RoundEngineOptions { Rounds = 1 }, TimeProvider.System);
        _random = new RandomSource(1);
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public async Task<GlobalModel> OneRound()
    {
        (GlobalModel model, _, _) = await _engine.RunRoundAsync(new RoundNumber(1), _model, NoStrategyState.Instance, _random, evaluate: false, CancellationToken.None);
        return model;
    }

    /// <summary>A transport whose sites reply immediately with a precomputed update.</summary>
    private sealed class InstantTransport(IReadOnlyList<SiteId> roster, ParameterVector template) : ISiteTransport
    {
        private readonly Dictionary<SiteId, SiteUpdate> _updates = roster.ToDictionary(
            s => s, s => new SiteUpdate(s, template.Clone(), 10, 0.5, 1));

        public IReadOnlyList<SiteId> Roster { get; } = roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            foreach (SiteTask task in tasks)
            {
                yield return new TrainingCompleted(task.Site, task.Round, _updates[task.Site]);
            }
        }
    }
}
