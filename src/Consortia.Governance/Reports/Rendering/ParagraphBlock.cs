namespace Consortia.Governance.Reports.Rendering;

internal sealed record ParagraphBlock(string Text) : ReportBlock;
