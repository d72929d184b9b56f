namespace CommsGateway.Core.Consent;

public sealed record ConsentError(string Code, string Message);
