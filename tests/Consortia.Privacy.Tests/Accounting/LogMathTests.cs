using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.Tests.Accounting;

public sealed class LogMathTests
{
    // ln erfc(x) with 40-digit arithmetic, from the design reference §5.4.
    [Theory]
    [InlineData(-5.0, 0.693147180559177)]
    [InlineData(-1.0, 0.611232317678071)]
    [InlineData(0.5, -0.735011129837084)]
    [InlineData(1.0, -1.84960550993325)]
    [InlineData(3.0, -10.7203630419811)]
    [InlineData(5.0, -27.2008895455374)]
    [InlineData(10.0, -102.879889024845)]
    [InlineData(20.0, -403.569343334104)]
    [InlineData(30.0, -903.974117110644)]
    public void LogErfc_ReferenceUpTo30_WithinRelative1e13(double x, double expected)
    {
        double actual = LogMath.LogErfc(x);

        Assert.True(Math.Abs(actual - expected) <= 1e-13 * Math.Abs(expected), $"ln erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(50.0, -2504.48458784845)]
    [InlineData(100.0, -10005.1775851227)]
    [InlineData(1000.0, -1000007.48012072)]
    public void LogErfc_ReferenceBeyond30_WithinRelative1e12(double x, double expected)
    {
        double actual = LogMath.LogErfc(x);

        Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Abs(expected), $"ln erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Fact]
    public void LogErfc_Zero_IsZeroWithin1e15()
    {
        Assert.True(Math.Abs(LogMath.LogErfc(0.0)) <= 1e-15);
    }

    // erfc(x) computed with mpmath at 30 digits, around the branch points 0.5 and 1.5 and in the continued-fraction range.
    [Theory]
    [InlineData(0.4999999, 0.47950021006521575)]
    [InlineData(0.5000001, 0.47950003430869996)]
    [InlineData(1.4999999, 0.033894865417719979)]
    [InlineData(1.5000001, 0.033894841631662135)]
    [InlineData(2.25, 0.0014627165866811517)]
    public void ErfcNonNegative_AcrossBranchPoints_MatchesReference(double x, double expected)
    {
        double actual = LogMath.ErfcNonNegative(x);

        Assert.True(Math.Abs(actual - expected) <= 5e-14 * expected, $"erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Fact]
    public void LogErfc_Symmetry_ErfcXPlusErfcMinusXIsTwo()
    {
        for (double x = -6.0; x <= 6.0; x += 0.37)
        {
            double sum = Math.Exp(LogMath.LogErfc(x)) + Math.Exp(LogMath.LogErfc(-x));

            Assert.True(Math.Abs(sum - 2.0) <= 4e-15, $"erfc({x}) + erfc({-x}) = {sum:R}");
        }
    }

    [Fact]
    public void LogErfc_LargeArgument_IsFiniteAndDecreasing()
    {
        double previous = double.PositiveInfinity;
        foreach (double x in new[] { 1e3, 1e5, 1e7, 1e9, 1e12 })
        {
            double value = LogMath.LogErfc(x);

            Assert.True(double.IsFinite(value) && value < previous, $"ln erfc({x}) = {value}");
            previous = value;
        }
    }

    [Theory]
    [InlineData(1e-10)]
    [InlineData(-3e-12)]
    [InlineData(1e-5)]
    public void Log1PAndExpM1_SmallArguments_KeepFullPrecision(double x)
    {
        // ln(1 + x) = x − x²/2 + x³/3 and e^x − 1 = x + x²/2 + x³/6 to well below double precision here.
        double log1p = x - (x * x / 2) + (x * x * x / 3);
        double expm1 = x + (x * x / 2) + (x * x * x / 6);

        Assert.Equal(log1p, LogMath.Log1P(x), 1e-15 * Math.Abs(x));
        Assert.Equal(expm1, LogMath.ExpM1(x), 1e-15 * Math.Abs(x));
    }

    [Fact]
    public void LogAddAndLogSub_AreInverse()
    {
        double a = Math.Log(3.0);
        double b = Math.Log(1e-20);

        double sum = LogMath.LogAdd(a, b);

        Assert.Equal(Math.Log(3.0 + 1e-20), sum, 1e-15);
        Assert.Equal(a, LogMath.LogSub(sum, b), 1e-15);
        Assert.Equal(double.NegativeInfinity, LogMath.LogSub(a, a));
        Assert.Equal(a, LogMath.LogAdd(a, double.NegativeInfinity));
    }

    [Fact]
    public void SignedLogSum_MixedSigns_TracksSignAndMagnitude()
    {
        SignedLogSum sum = new();

        sum.Add(1, Math.Log(2.0));
        sum.Add(-1, Math.Log(5.0));
        sum.Add(1, Math.Log(0.5));

        Assert.Equal(-1, sum.Sign);
        Assert.Equal(Math.Log(2.5), sum.Log, 1e-15);
    }
}
