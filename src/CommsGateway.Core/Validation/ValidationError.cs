namespace CommsGateway.Core.Validation;

/// <summary>One specific problem with an intent: which field, which stable code, and what to fix.</summary>
public sealed record ValidationError(string Field, string Code, string Message);
