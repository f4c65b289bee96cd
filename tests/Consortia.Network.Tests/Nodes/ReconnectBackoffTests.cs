using Consortia.Network.Identity;
using Consortia.Network.Node;
using Consortia.Network.Tests.Identity;

namespace Consortia.Network.Tests.Nodes;

/// <summary>The node's reconnection delays, token listing and revocation, and one-certificate revocation.</summary>
public sealed class ReconnectBackoffTests
{
    [Fact]
    public void Delays_DoubleWithJitter_UpToTheMaximum_AndStartOverAfterAReset()
    {
        ReconnectBackoff backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), new Random(42));

        TimeSpan[] delays = [.. Enumerable.Range(0, 12).Select(_ => backoff.Next())];

        for (int i = 0; i < delays.Length; i++)
        {
            double cap = Math.Min(300, Math.Pow(2, i));
            Assert.InRange(delays[i].TotalSeconds, cap / 2, cap); // equal jitter: between half and all of the cap
        }

        Assert.Equal(12, backoff.Attempts);
        Assert.InRange(backoff.Longest().TotalSeconds, 150, 300);
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalSeconds, 0.5, 1);
        Assert.NotEqual(delays[8], delays[9]); // jittered, not lock-step
    }

    [Fact]
    public void SameSeed_SameDelays()
    {
        ReconnectBackoff a = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), new Random(7));
        ReconnectBackoff b = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), new Random(7));

        Assert.Equal(Enumerable.Range(0, 10).Select(_ => a.Next()), Enumerable.Range(0, 10).Select(_ => b.Next()));
    }

    [Fact]
    public async Task Tokens_AreListedWithoutSecrets_AndAnUnusedOneCanBeRevoked()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string used = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(1));
        string open = host.Identity.CreateToken("hospital-2", TimeSpan.FromHours(1));
        await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, used, host.Dir.Combine("sites", "hospital-1"), host.Time, TestContext.Current.CancellationToken);

        IReadOnlyList<TokenRecord> tokens = host.Identity.Tokens();
        Assert.Equal(["hospital-1", "hospital-2"], tokens.Select(t => t.Site).Order());
        Assert.All(tokens, t => Assert.DoesNotContain(t.Id, used + open));
        TokenRecord toRevoke = tokens.Single(t => t.Site == "hospital-2");
        Assert.Equal("open", toRevoke.StateAt(host.Time.GetUtcNow()));

        TokenRecord revoked = host.Identity.RevokeToken(toRevoke.Id[..8]);
        Assert.Equal("revoked", host.Identity.Tokens().Single(t => t.Id == revoked.Id).StateAt(host.Time.GetUtcNow()));
        IdentityException again = Assert.Throws<IdentityException>(() => host.Identity.RevokeToken(toRevoke.Id));
        Assert.Contains("revoked", again.Message, StringComparison.Ordinal);
        IdentityException usedOne = Assert.Throws<IdentityException>(() => host.Identity.RevokeToken(tokens.Single(t => t.Site == "hospital-1").Id));
        Assert.Contains("used", usedOne.Message, StringComparison.Ordinal);
        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, open, host.Dir.Combine("sites", "hospital-2"), host.Time, TestContext.Current.CancellationToken));
        Assert.Contains("token revoked", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeBySerial_RevokesOnlyThatCertificate()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        await host.EnrollAsync("hospital-1");
        string second = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(1));
        await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, second, host.Dir.Combine("sites", "hospital-1b"), host.Time, TestContext.Current.CancellationToken);
        string[] serials = [.. host.Identity.Certificates().Select(c => c.Serial)];

        IssuedCertificate revoked = host.Identity.RevokeSerial(serials[0].ToLowerInvariant());

        Assert.Equal(serials[0], revoked.Serial);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Null(host.Identity.Certificates().Single(c => c.Serial == serials[1]).RevokedAt);
        Assert.Equal([new Federation.SiteId("hospital-1")], host.Identity.ActiveSites());
        Assert.Throws<IdentityException>(() => host.Identity.RevokeSerial(serials[0]));
        Assert.Throws<IdentityException>(() => host.Identity.RevokeSerial("00DEADBEEF"));
    }
}
