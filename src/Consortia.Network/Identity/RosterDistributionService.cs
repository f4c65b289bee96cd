using Consortia.Governance.Roster;
using Consortia.Network.Protos;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Identity;

/// <summary>
/// The sites endpoint's roster service: serves the roster the coordinator proposes for the consortium a request names
/// (the default one, <see cref="CoordinatorIdentity.RosterPath"/> = <c>HOME/roster.json</c>, when it names none; an
/// unknown name is NotFound and logged) to enrolled sites (mutual TLS, then the per-call check of <see cref="SiteIdentityInterceptor"/>).
/// </summary>
/// <remarks>
/// The file is read and verified on each call, so a roster published while the coordinator runs is served at once,
/// and a roster file that does not verify (a join signature, its stated hash) is never served: the call fails with
/// FailedPrecondition and the problem is logged. The nodes verify it again themselves; the coordinator is not trusted.
/// </remarks>
internal sealed partial class RosterDistributionService(IRosterSource source, ILogger<RosterDistributionService> logger) : RosterDistribution.RosterDistributionBase
{
    /// <inheritdoc />
    public override Task<RosterReply> GetRoster(GetRosterRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        string site = context.GetSiteIdentity().Value;
        if (source.RosterPathOf(request.Consortium) is not { } path)
        {
            // A bounded, printable echo of what was asked: the name comes from the caller.
            string asked = new([.. request.Consortium.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
            LogUnknown(logger, site, asked);
            throw new RpcException(new Status(StatusCode.NotFound, $"this coordinator hosts no consortium named '{asked}'"));
        }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site} asked for the roster of consortium '{Consortium}', which this coordinator does not host")]
    private static partial void LogUnknown(ILogger logger, string site, string consortium);

    [LoggerMessage(Level = LogLevel.Debug, Message = "served roster {Sha256} ({Members} members) to site {Site}")]
    private static partial void LogServed(ILogger logger, string sha256, int members, string site);

    [LoggerMessage(Level = LogLevel.Error, Message = "not serving the roster {Path}: {Problem}")]
    private static partial void LogUnservable(ILogger logger, string path, string problem);
}

/// <summary>Where the roster of a consortium the coordinator hosts is kept.</summary>
internal interface IRosterSource
{
    /// <summary>
    /// The roster file of <paramref name="consortium"/>: empty or the name of the default roster's consortium is the
    /// default roster; <see langword="null"/> when the coordinator hosts no consortium of that name.
    /// </summary>
    public string? RosterPathOf(string consortium);
}

/// <summary>A coordinator of one consortium: its home's roster, also under the name that roster gives its consortium.</summary>
internal sealed class HomeRosterSource(string path) : IRosterSource
{
    /// <inheritdoc />
    public string? RosterPathOf(string consortium) => IsDefault(path, consortium) ? path : null;

    /// <summary>Whether <paramref name="consortium"/> names the default roster at <paramref name="path"/> (empty does).</summary>
    public static bool IsDefault(string path, string consortium)
    {
        if (consortium.Length == 0)
        {
            return true;
        }

        try
        {
            return File.Exists(path) && string.Equals(ConsortiumRoster.Load(path).Consortium, consortium, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is RosterException or IOException or UnauthorizedAccessException)
        {
            return false; // the service reports the unusable file when the default roster itself is asked for
        }
    }
}
