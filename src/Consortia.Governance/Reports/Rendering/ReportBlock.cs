namespace Consortia.Governance.Reports.Rendering;

/// <summary>A block of a rendered report; Markdown and HTML writers render the same blocks, so both have the same sections.</summary>
internal abstract record ReportBlock;
