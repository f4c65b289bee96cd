namespace Consortia.Data.Contracts;

/// <summary>The values of a split column: <c>train</c> and <c>test</c> (compared without case).</summary>
internal static class SplitFolds
{
    public const string Train = "train";
    public const string Test = "test";

    /// <summary>Parses a fold name.</summary>
    /// <param name="value">The field value.</param>
    /// <param name="isTest">Whether the value names the test fold.</param>
    /// <returns>Whether the value is a fold name.</returns>
    public static bool TryParse(string value, out bool isTest)
    {
        isTest = string.Equals(value, Test, StringComparison.OrdinalIgnoreCase);
        return isTest || string.Equals(value, Train, StringComparison.OrdinalIgnoreCase);
    }
}
