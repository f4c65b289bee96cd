namespace Consortia.Governance.Reports.Rendering;

internal sealed record HeadingBlock(int Level, string Text) : ReportBlock;
