using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Governance.Policies;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Network.Coordinator;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Benchmarks;

/// <summary>
/// What the network costs: one FedAvg round (4 sites train, send their updates, the coordinator sums them)
/// in process against the same round over gRPC with mutual TLS on loopback, for the Heart job (logistic,
/// 14 parameters, FLamby's 4 hospitals) and for a 1,000,000-parameter model (every site sends 4 MB).
/// </summary>
public class NetworkRoundBenchmark : IDisposable
{
    private RoundEngine _inProcess = null!;
    private RoundEngine _overGrpc = null!;
    private GlobalModel _model = null!;
    private WebApplication _app = null!;
    private CancellationTokenSource _stop = null!;
    private readonly List<Task> _nodes = [];
    private int _round; // sites contribute to each round once: every iteration runs the next round

    [Params("heart", "1m-params")]
    public string Model { get; set; } = "heart";

    [GlobalSetup]
    public void Setup()
    {
        (ModelSpec spec, IReadOnlyList<SiteData> data, LocalTrainingOptions training) = Model == "heart"
            ? (new ModelSpec(ModelKind.Logistic, 13, []), FederatedDataLoader.Load(new DataSourceOptions { Format = DataFormat.FlambyHeartDisease, Path = HeartPath() }, ".").Sites, new LocalTrainingOptions { BatchSize = 4, LocalSteps = 100 })
            : (new ModelSpec(ModelKind.Mlp, 999, [1000]), Synthetic(999), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 1 });
        _model = new GlobalModel(spec, new ParameterVector(spec.CreateLayout()), new RoundNumber(0));
        FedAvgStrategy strategy = new(new FedAvgOptions { Training = training });
        _inProcess = new RoundEngine(new InProcessSiteTransport(Agents(spec, data)), strategy, new RoundEngineOptions { Rounds = 1 }, TimeProvider.System) { JobSha256 = Job(spec, data).ContentSha256 };

        _stop = new CancellationTokenSource();
        (X509Certificate2 ca, X509Certificate2 server, Func<string, X509Certificate2> issue) = Pki();
        SiteAgent[] remote = Agents(spec, data);
        GrpcSiteTransport transport = new([.. remote.Select(a => a.Site)], TimeProvider.System, NullLogger.Instance);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 4 << 20);
        builder.Services.AddSingleton(transport);
        builder.Services.AddSingleton(new NetworkMetrics());
        builder.WebHost.ConfigureKestrel(k => Http2Tuning.Apply(k.Limits));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = server,
                SslProtocols = SslProtocols.Tls13,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (c, _, _) => Trusts(ca, c),
            });
        }));
        _app = builder.Build();
        _app.MapGrpcService<SiteGatewayService>();
        _app.StartAsync().GetAwaiter().GetResult();
        Uri address = new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        List<SiteNode> nodes = [];
        foreach (SiteAgent agent in remote)
        {
            SocketsHttpHandler http = new()
            {
                SslOptions = { ClientCertificates = [issue(agent.Site.Value)], EnabledSslProtocols = SslProtocols.Tls13, RemoteCertificateValidationCallback = (_, c, _, _) => c is X509Certificate2 s && Trusts(ca, s) },
            };
            Http2Tuning.Apply(http); // as the node does (NodeIdentity)
            SiteNode node = new(new SiteGateway.SiteGatewayClient(GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = http })), new Handler(agent), new SiteNodeOptions(), TimeProvider.System, NullLogger.Instance);
            nodes.Add(node);
            _nodes.Add(Task.Run(() => node.RunAsync(_stop.Token)));
        }

        _overGrpc = new RoundEngine(transport, strategy, new RoundEngineOptions { Rounds = 1 }, TimeProvider.System) { JobSha256 = Job(spec, data).ContentSha256 };
        OverGrpc().GetAwaiter().GetResult(); // warm: every node connected, TLS sessions up
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _app.StopAsync().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _stop?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public Task<GlobalModel> InProcess() => Round(_inProcess);

    [Benchmark]
    public Task<GlobalModel> OverGrpc() => Round(_overGrpc);

    private async Task<GlobalModel> Round(RoundEngine engine)
    {
        (GlobalModel model, _, _) = await engine.RunRoundAsync(new RoundNumber(Interlocked.Increment(ref _round)), _model, NoStrategyState.Instance, new RandomSource(1), evaluate: false, CancellationToken.None);
        return model;
    }

    private static JobDefinition Job(ModelSpec spec, IReadOnlyList<SiteData> data) => new()
    {
        Name = "network-round-benchmark",
        Seed = 7,
        Data = new DataSourceOptions { Format = DataFormat.Csv, Path = "." },
        ModelKind = spec.Kind,
        Engine = new RoundEngineOptions(),
        Training = new LocalTrainingOptions { BatchSize = 8 },
        Metrics = [MetricKind.Accuracy],
        Columns = data[0].Train.FeatureNames,
    };

    private static SiteAgent[] Agents(ModelSpec spec, IReadOnlyList<SiteData> data)
    {
        // The benchmark's sites accept its one job: a policy written out, as every site needs one.
        JobDefinition job = Job(spec, data);
        PolicyEvaluator policy = MeasurementPolicy.Accepting(job.Describe());
        return [.. data.Select((s, i) => new SiteBuilder
        {
            Job = job,
            Site = new SiteId(s.Name),
            Train = s.Train,
            Test = s.Test,
            Task = LearningTask.BinaryClassification,
            Randomness = SiteRandomness.Seeded(new RandomSource(7).Derive((ulong)i)),
            Time = TimeProvider.System,
            Policy = policy,
        }.Build())];
    }

    private static SiteData[] Synthetic(int features)
    {
        RandomSource random = new(11);
        string[] names = [.. Enumerable.Range(0, features).Select(i => $"x{i}")];
        return [.. Enumerable.Range(0, 4).Select(i =>
        {
            Dataset Make(int rows)
            {
                float[] x = new float[rows * features];
                float[] y = new float[rows];
                for (int k = 0; k < x.Length; k++)
                {
                    x[k] = (float)random.NextGaussian();
                }

                for (int r = 0; r < rows; r++)
                {
                    y[r] = x[r * features] > 0 ? 1 : 0;
                }

                return new Dataset(names, x, y);
            }

            return new SiteData($"site{i}", Make(64), Make(16));
        })];
    }

    private static string HeartPath()
    {
        string? folder = AppContext.BaseDirectory;
        while (folder is not null && !Directory.Exists(Path.Combine(folder, "data", "fed-heart-disease")))
        {
            folder = Path.GetDirectoryName(folder);
        }

        return Path.Combine(folder ?? throw new DirectoryNotFoundException("data/fed-heart-disease not found above the benchmark"), "data", "fed-heart-disease");
    }

    private static (X509Certificate2 Ca, X509Certificate2 Server, Func<string, X509Certificate2> Issue) Pki()
    {
        ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest caRequest = new("CN=bench CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        DateTimeOffset now = DateTimeOffset.UnixEpoch.AddYears(56);
        X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        X509Certificate2 Issue(string name, bool server)
        {
            using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            CertificateRequest request = new($"CN={name}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                SubjectAlternativeNameBuilder san = new();
                san.AddIpAddress(IPAddress.Loopback);
                request.CertificateExtensions.Add(san.Build());
            }

            using X509Certificate2 cert = request.Create(ca, ca.NotBefore, ca.NotAfter.AddDays(-1), RandomNumberGenerator.GetBytes(8));
            using X509Certificate2 withKey = cert.CopyWithPrivateKey(key);
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }

        return (ca, Issue("coordinator", true), name => Issue(name, false));
    }

    private static bool Trusts(X509Certificate2 ca, X509Certificate2 certificate)
    {
        using X509Chain chain = new();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private sealed class Handler(SiteAgent agent) : ISiteWorkHandler
    {
        public SiteId Site => agent.Site;

        public ValueTask<JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken) => ValueTask.FromResult(new JobReadiness(true, 0));

        public ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken) => agent.HandleAsync(task, cancellationToken);

        public void EndJob(string jobId)
        {
        }
    }
}
