namespace CommsGateway.Core.Consent;

public enum ConsentAction
{
    Grant,
    Withdraw,
}
