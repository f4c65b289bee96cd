namespace Consortia.Governance.Policies;

/// <summary>The unit a differential-privacy guarantee protects.</summary>
public enum DpMode
{
    /// <summary>Sample-level DP (DP-SGD at the site): protects one patient record of the site; written <c>sample-level</c>.</summary>
    SampleLevel,

    /// <summary>Client-level DP (DP-FedAvg): protects a whole site's participation; written <c>client-level</c>.</summary>
    ClientLevel,
}
