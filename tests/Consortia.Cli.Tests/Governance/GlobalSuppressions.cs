// Test names read Method_Scenario_Expected (style.md §4); main's tests/Directory.Build.props silences CA1707 for
// every test project, this keeps the Governance CLI tests building on branches without that change.
[assembly: System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "Method_Scenario_Expected test names.", Scope = "namespaceanddescendants", Target = "~N:Consortia.Cli.Tests.Governance")]
