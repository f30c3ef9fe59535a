namespace Platform.Contracts.Messages;

/// <summary>One buildpack a stager has, at its place in the detect order (1 = first).</summary>
/// <param name="Error">Why the buildpack cannot be used (a broken manifest.yml), else null.</param>
public sealed record StagerBuildpack(string Name, string Version, int Position, string Stack, IReadOnlyList<string> Dependencies, string? Error);

/// <summary>A stack a stager builds on; <paramref name="LayerDigest"/> once it has packed it into a layer.</summary>
public sealed record StagerStack(string Name, string Description, string? LayerDigest, long? LayerSize);

/// <summary>
/// Published by every stager at start and then periodically, like a Diego cell advertising its stacks in its
/// presence: the buildpacks it can run, in detect order, and its stacks. API processes keep the latest one per
/// stager to answer GET /v1/buildpacks and /v1/stacks, so the API never reads the stager's disk.
/// </summary>
public sealed record StagerCatalogAdvertised(
    string StagerId,
    IReadOnlyList<StagerBuildpack> Buildpacks,
    IReadOnlyList<StagerStack> Stacks,
    DateTimeOffset Timestamp,
    TimeSpan Interval);
