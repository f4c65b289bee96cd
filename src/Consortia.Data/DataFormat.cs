namespace Consortia.Data;

/// <summary>How a data source is laid out and preprocessed.</summary>
public enum DataFormat
{
    /// <summary>One headered CSV file described by a data contract, split into sites by a site column.</summary>
    Csv,

    /// <summary>The FLamby Fed-Heart-Disease benchmark: the four UCI <c>processed.*.data</c> files and <c>flamby_split.csv</c>.</summary>
    FlambyHeartDisease,

    /// <summary>The FLamby Fed-TCGA-BRCA benchmark: <c>brca.csv</c>, <c>centers.csv</c> and <c>train_test_split.csv</c>.</summary>
    FlambyTcgaBrca,
}
