using System.Diagnostics.CodeAnalysis;

namespace Consortia.Data.Contracts;

/// <summary>The type of the values in a column (<c>type:</c> in a contract file).</summary>
public enum ColumnType
{
    /// <summary><c>number</c>: a finite decimal number (NaN and infinities are refused).</summary>
    Number,

    /// <summary><c>integer</c>: a whole number; <c>63</c> and <c>63.0</c> are both accepted.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Mirrors the contract keyword 'integer'.")]
    Integer,

    /// <summary><c>binary</c>: 0 or 1 (<c>1.0</c> is accepted).</summary>
    Binary,

    /// <summary><c>categorical</c>: one of the listed levels (compared as text, or as numbers when both are numbers).</summary>
    Categorical,

    /// <summary><c>text</c>: any non-empty text, optionally matching a pattern (identifiers, site names).</summary>
    Text,
}
