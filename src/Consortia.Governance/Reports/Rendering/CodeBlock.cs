namespace Consortia.Governance.Reports.Rendering;

internal sealed record CodeBlock(string Language, string Text) : ReportBlock;
