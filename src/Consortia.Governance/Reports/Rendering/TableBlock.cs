namespace Consortia.Governance.Reports.Rendering;

internal sealed record TableBlock(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows) : ReportBlock;
