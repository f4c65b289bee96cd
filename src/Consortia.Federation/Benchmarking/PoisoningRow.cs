namespace Consortia.Federation.Benchmarking;

/// <summary>One row of the poisoning drill.</summary>
/// <param name="Name">The row (strategy and defence, clean or attacked).</param>
/// <param name="Strategy">The strategy's job-file name.</param>
/// <param name="MaliciousSites">How many sites attacked in this row (0 for the clean reference).</param>
/// <param name="Accuracy">Test accuracy of the final global model over every site's test rows.</param>
/// <param name="DeltaFromClean">Accuracy minus the clean FedAvg row's.</param>
public sealed record PoisoningRow(string Name, string Strategy, int MaliciousSites, double Accuracy, double DeltaFromClean);
