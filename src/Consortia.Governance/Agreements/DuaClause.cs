namespace Consortia.Governance.Agreements;

/// <summary>One clause of the rendered data use agreement: its plain-language terms and the technical controls that enforce it.</summary>
/// <param name="Number">The clause number, from 1.</param>
/// <param name="Title">The heading.</param>
/// <param name="Terms">The clause in plain language, one paragraph or list item per entry.</param>
/// <param name="Controls">What enforces it: rule names with the component that applies them, or a statement that it is organisational.</param>
public sealed record DuaClause(int Number, string Title, IReadOnlyList<string> Terms, string Controls);
