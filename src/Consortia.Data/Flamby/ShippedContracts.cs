using System.Reflection;
using Consortia.Data.Contracts;

namespace Consortia.Data.Flamby;

/// <summary>The data contracts of <c>data/contracts/</c> that the FLamby presets validate their files with, embedded in the assembly.</summary>
internal static class ShippedContracts
{
    public const string HeartDiseaseUci = "heart-disease-uci.yaml";
    public const string HeartDiseaseSplit = "heart-disease-flamby-split.yaml";
    public const string TcgaBrca = "tcga-brca.yaml";
    public const string TcgaBrcaCenters = "tcga-brca-centers.yaml";
    public const string TcgaBrcaSplit = "tcga-brca-split.yaml";

    public static DataContract Load(string fileName)
    {
        string resource = "contracts/" + fileName;
        using Stream stream = typeof(ShippedContracts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The assembly lacks the embedded contract '{resource}'; the build is broken.");
        using var reader = new StreamReader(stream);
        return DataContract.Parse(reader.ReadToEnd(), "data/contracts/" + fileName);
    }
}
