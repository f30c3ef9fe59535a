namespace Platform.Staging;

/// <summary>
/// Staging failed for a reason the user can act on. The message goes to the user as it is, in
/// <see cref="Platform.Contracts.Messages.StagingCompleted.Error"/>, so it must say what went wrong and,
/// where possible, what to do about it.
/// </summary>
public sealed class StagingFailedException(string message, Exception? inner = null) : Exception(message, inner);
