using System.Globalization;

using Consortia.SecureAggregation.Protocol;

namespace Consortia.SecureAggregation.Tests.Support;

/// <summary>Builds valid session options for tests.</summary>
internal static class SessionFactory
{
    public static SecAggSessionOptions Create(
        int participants,
        int threshold,
        int vectorLength = 8,
        int? neighbours = null,
        SecAggSecurityMode mode = SecAggSecurityMode.SemiHonest,
        long round = 1,
        string jobId = "job-test")
        => new()
        {
            JobId = jobId,
            RoundNumber = round,
            Participants = [.. Enumerable.Range(1, participants).Select(i => "site-" + i.ToString("D4", CultureInfo.InvariantCulture))],
            VectorLength = vectorLength,
            Threshold = threshold,
            Neighbours = neighbours,
            SecurityMode = mode,
        };

    public static uint[][] RandomInputs(int participants, int vectorLength, int seed)
    {
        Random random = new(seed);
        uint[][] inputs = new uint[participants][];
        for (int i = 0; i < participants; i++)
        {
            inputs[i] = new uint[vectorLength];
            for (int j = 0; j < vectorLength; j++)
            {
                inputs[i][j] = (uint)random.NextInt64(0, 1L << 32);
            }
        }

        return inputs;
    }

    public static uint[] PlainSum(IEnumerable<uint[]> vectors, int vectorLength)
    {
        uint[] sum = new uint[vectorLength];
        foreach (uint[] vector in vectors)
        {
            for (int j = 0; j < vectorLength; j++)
            {
                sum[j] = unchecked(sum[j] + vector[j]);
            }
        }

        return sum;
    }
}
