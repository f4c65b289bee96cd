using Prometheus;

namespace Consortia.Network.Transport;

/// <summary>
/// The coordinator's Prometheus metrics (served at <c>/metrics</c>): rounds, participants, latency, bytes,
/// connected sites, running jobs. Round metrics carry a <c>job</c> label, since several jobs run at once. Each host has its own registry, so several hosts can share a process (tests).
/// </summary>
public sealed class NetworkMetrics
{
    private readonly Counter _rounds;
    private readonly Counter _failedRounds;
    private readonly Gauge _participants;
    private readonly Histogram _roundSeconds;
    private readonly Histogram _replySeconds;
    private readonly Counter _bytesSent;
    private readonly Counter _bytesReceived;
    private readonly Gauge _connected;
    private readonly Counter _rejected;
    private readonly Gauge _runningJobs;

    /// <summary>Creates the metrics in a registry of their own.</summary>
    public NetworkMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry); // process CPU, memory, GC: what an operator watches for leaks over months
        MetricFactory factory = Metrics.WithCustomRegistry(Registry);
        _rounds = factory.CreateCounter("consortia_rounds_completed_total", "Rounds that produced a new global model.", "job");
        _failedRounds = factory.CreateCounter("consortia_rounds_failed_total", "Rounds that kept the previous model (too few participants or failed aggregation).", "job");
        _participants = factory.CreateGauge("consortia_round_participants", "Sites whose update entered the job's last round's aggregate.", "job");
        _roundSeconds = factory.CreateHistogram("consortia_round_duration_seconds", "Wall time of a round.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 16), LabelNames = ["job"] });
        _replySeconds = factory.CreateHistogram("consortia_site_reply_seconds", "Time from dispatching a task to receiving its reply.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 20) });
        _bytesSent = factory.CreateCounter("consortia_bytes_sent_total", "Bytes of task payload sent to sites.");
        _bytesReceived = factory.CreateCounter("consortia_bytes_received_total", "Bytes of reply payload received from sites.");
        _connected = factory.CreateGauge("consortia_sites_connected", "Sites with an open work stream.");
        _rejected = factory.CreateCounter("consortia_messages_rejected_total", "Messages refused as malformed, unauthorised, late, duplicate or for the wrong job.");
        _runningJobs = factory.CreateGauge("consortia_jobs_running", "Jobs the coordinator is running now.");
    }

    /// <summary>The registry to serve.</summary>
    public CollectorRegistry Registry { get; }

    internal void ObserveRound(string job, bool aggregated, int participants, TimeSpan elapsed)
    {
        (aggregated ? _rounds : _failedRounds).WithLabels(job).Inc();
        _participants.WithLabels(job).Set(participants);
        _roundSeconds.WithLabels(job).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Drops the participants gauge of an ended job (the counters stay: they are totals).</summary>
    internal void JobEnded(string job) => _participants.RemoveLabelled(job);

    internal void SetRunningJobs(int jobs) => _runningJobs.Set(jobs);

    internal void ObserveReply(TimeSpan elapsed) => _replySeconds.Observe(elapsed.TotalSeconds);

    internal void Sent(long bytes) => _bytesSent.Inc(bytes);

    internal void Received(long bytes) => _bytesReceived.Inc(bytes);

    internal void SetConnected(int sites) => _connected.Set(sites);

    internal void Rejected() => _rejected.Inc();
}
