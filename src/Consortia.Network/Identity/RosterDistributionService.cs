using Consortia.Governance.Roster;
using Consortia.Network.Protos;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Identity;

/// <summary>
/// The sites endpoint's roster service: serves the roster the coordinator proposes, the file
/// <see cref="CoordinatorIdentity.RosterPath"/> (<c>HOME/roster.json</c>, written by <c>consortia roster add</c>), to
/// enrolled sites (mutual TLS, then the per-call check of <see cref="SiteIdentityInterceptor"/>).
/// </summary>
/// <remarks>
/// The file is read and verified on each call, so a roster published while the coordinator runs is served at once,
/// and a roster file that does not verify (a join signature, its stated hash) is never served: the call fails with
/// FailedPrecondition and the problem is logged. The nodes verify it again themselves; the coordinator is not trusted.
/// </remarks>
internal sealed partial class RosterDistributionService(CoordinatorIdentity identity, ILogger<RosterDistributionService> logger) : RosterDistribution.RosterDistributionBase
{
    /// <inheritdoc />
    public override Task<RosterReply> GetRoster(GetRosterRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string site = context.GetSiteIdentity().Value;
        string path = identity.RosterPath;
        if (!File.Exists(path))
        {
            return Task.FromResult(new RosterReply());
        }

        try
        {
            ConsortiumRoster roster = ConsortiumRoster.Load(path);
            LogServed(logger, roster.Sha256, roster.Members.Count, site);
            return Task.FromResult(new RosterReply { RosterJson = roster.ToJson(), Sha256 = roster.Sha256 });
        }
        catch (Exception e) when (e is RosterException or IOException or UnauthorizedAccessException)
        {
            LogUnservable(logger, path, e.Message);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "the coordinator's roster file does not verify; see the coordinator's log"));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "served roster {Sha256} ({Members} members) to site {Site}")]
    private static partial void LogServed(ILogger logger, string sha256, int members, string site);

    [LoggerMessage(Level = LogLevel.Error, Message = "not serving the roster {Path}: {Problem}")]
    private static partial void LogUnservable(ILogger logger, string path, string problem);
}
