namespace Consortia.Federation.Jobs;

/// <summary>How each site personalises the federated model (<c>personalisation.method</c>).</summary>
public enum PersonalisationMethod
{
    /// <summary>
    /// <c>ditto</c>: each site keeps a personal model trained on its own data with the penalty λ/2·‖v − w‖² toward the
    /// current global model w (Li, Hu, Beirami, Smith, 2021, "Ditto: Fair and Robust Federated Learning Through
    /// Personalization", ICML). The personal model never leaves the site.
    /// </summary>
    Ditto,

    /// <summary>
    /// <c>fine-tune</c>: where the model has layers (mlp), the last layer is a per-site head that stays at the site and
    /// never leaves it while the body is federated (FedPer: Arivazhagan et al., 2019); at evaluation each site fine-tunes
    /// the global model (its body with the site's own head) on its own training data. For logistic and Cox models,
    /// which have one layer, it is local fine-tuning of the global model.
    /// </summary>
    FineTune,
}
