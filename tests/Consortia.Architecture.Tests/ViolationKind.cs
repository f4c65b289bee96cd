namespace Consortia.Architecture.Tests;

/// <summary>The rule an <see cref="ArchitectureViolation"/> breaks.</summary>
internal enum ViolationKind
{
    /// <summary>A project or assembly references one that the architecture table does not allow.</summary>
    ForbiddenReference,

    /// <summary>A project under src/ is missing from the architecture table.</summary>
    UnknownProject,

    /// <summary>A library other than the Cli host uses a console package or assembly.</summary>
    ConsolePackage,

    /// <summary>A project under src/ has no tests/&lt;Name&gt;.Tests project.</summary>
    MissingTestProject,

    /// <summary>A project on disk is not listed in Consortia.slnx.</summary>
    NotInSolution,

    /// <summary>A source project's assembly is not in the test output, so its compiled references went unchecked.</summary>
    AssemblyNotBuilt,
}
