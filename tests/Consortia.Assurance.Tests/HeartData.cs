using Consortia.Data;
using Consortia.Data.Flamby;
using Consortia.TestKit;

namespace Consortia.Assurance.Tests;

/// <summary>The shipped FLamby Heart-Disease data, loaded once for all tests (read-only).</summary>
internal static class HeartData
{
    private static readonly Lazy<FederatedDataset> s_data = new(() => FlambyHeartDisease.Load(RepositoryPaths.Combine("data", "fed-heart-disease")));

    public static FederatedDataset Federation => s_data.Value;
}
