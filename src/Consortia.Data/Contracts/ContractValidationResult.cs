namespace Consortia.Data.Contracts;

/// <summary>The outcome of checking a CSV file against a contract: every problem found, and the typed values.</summary>
/// <param name="Table">The typed values (meaningful when <see cref="IsValid"/>).</param>
/// <param name="Problems">Every problem found, in line order, each with file, line, column and what was expected.</param>
public sealed record ContractValidationResult(ValidatedTable Table, IReadOnlyList<DataProblem> Problems)
{
    /// <summary>Whether the file meets the contract.</summary>
    public bool IsValid => Problems.Count == 0;

    /// <summary>Throws when the file does not meet the contract.</summary>
    /// <returns>The typed values.</returns>
    /// <exception cref="DataValidationException">There is at least one problem; the exception lists them all.</exception>
    public ValidatedTable ThrowIfInvalid() => IsValid ? Table : throw new DataValidationException(Problems);
}
