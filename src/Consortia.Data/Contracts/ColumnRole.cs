namespace Consortia.Data.Contracts;

/// <summary>What a column is used for (<c>role:</c> in a contract file).</summary>
public enum ColumnRole
{
    /// <summary><c>feature</c>: a model input (the default). Categorical features are one-hot encoded without their first level.</summary>
    Feature,

    /// <summary><c>target</c>: the label of a classification task (binary, or categorical with positive levels).</summary>
    Target,

    /// <summary><c>time</c>: the time to event or censoring of a survival task.</summary>
    Time,

    /// <summary><c>event</c>: the event indicator of a survival task (1 = event observed, 0 = censored).</summary>
    Event,

    /// <summary><c>site</c>: the site each row belongs to.</summary>
    Site,

    /// <summary><c>split</c>: the fold of each row, <c>train</c> or <c>test</c>.</summary>
    Split,

    /// <summary><c>id</c>: a unique row identifier, checked for duplicates and never fed to a model.</summary>
    Id,

    /// <summary><c>ignore</c>: validated but not used.</summary>
    Ignore,
}
