namespace Consortia.Data;

/// <summary>A dataset split into sites, plus the pooled data a centralised baseline trains on.</summary>
/// <param name="Name">The dataset name (for example <c>fed-heart-disease</c>).</param>
/// <param name="Task">The learning task the data is prepared for.</param>
/// <param name="Sites">The sites in their canonical order (FLamby's center order for the presets).</param>
/// <param name="Pooled">
/// All sites' training rows (<see cref="SiteData.Train"/>) and test rows (<see cref="SiteData.Test"/>)
/// concatenated in site order and preprocessed as pooled training needs: standardised with the
/// statistics of the pooled training rows unless standardisation is off.
/// </param>
/// <remarks>Every site has the same feature names in the same order; record equality is by reference for the lists.</remarks>
public sealed record FederatedDataset(string Name, LearningTask Task, IReadOnlyList<SiteData> Sites, SiteData Pooled);
