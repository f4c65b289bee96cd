using Consortia.Federation.Simulation;

namespace Consortia.Federation.Tests.Simulation;

public sealed class VirtualClockTests
{
    [Fact]
    public void Time_IsAFunctionOfTheRound_AndStandsStillWithinIt()
    {
        VirtualClock clock = new();
        long before = clock.GetTimestamp();

        DateTimeOffset atStart = clock.GetUtcNow();
        clock.EnterRound(new RoundNumber(3));
        DateTimeOffset first = clock.GetUtcNow(), second = clock.GetUtcNow();
        clock.EnterRound(new RoundNumber(2)); // never backwards

        Assert.Equal(VirtualClock.DefaultStart, atStart);
        Assert.Equal(VirtualClock.DefaultStart + TimeSpan.FromMinutes(3), first);
        Assert.Equal(first, second);
        Assert.Equal(first, clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromMinutes(3), clock.GetElapsedTime(before));
    }

    [Fact]
    public async Task Timer_FiresOnlyWhenARoundMovesTheClockPastIt()
    {
        VirtualClock clock = new(VirtualClock.DefaultStart, TimeSpan.FromSeconds(10));
        Task delay = Task.Delay(TimeSpan.FromSeconds(15), clock, TestContext.Current.CancellationToken);

        clock.EnterRound(new RoundNumber(1));
        bool firedEarly = delay.IsCompleted;
        clock.EnterRound(new RoundNumber(2));
        await delay.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.False(firedEarly);
        Assert.True(delay.IsCompletedSuccessfully);
    }
}
