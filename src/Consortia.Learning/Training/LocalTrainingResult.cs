namespace Consortia.Learning.Training;

/// <summary>What a local training run did.</summary>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="ExamplesSeen">Rows processed over all steps.</param>
/// <param name="MeanLoss">Mean batch loss over the steps (before each step's update).</param>
public sealed record LocalTrainingResult(int Steps, long ExamplesSeen, double MeanLoss);
