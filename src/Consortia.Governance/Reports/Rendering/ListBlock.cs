namespace Consortia.Governance.Reports.Rendering;

internal sealed record ListBlock(IReadOnlyList<string> Items) : ReportBlock;
