namespace Platform.Contracts.Api;

/// <summary>GET /v1/buildpacks: one buildpack, with the stagers that have it (normally all of them).</summary>
public sealed record BuildpackResponse(
    string Name, int Position, string Version, string Stack, IReadOnlyList<string> Dependencies, string? Error, IReadOnlyList<string> Stagers);

/// <summary>GET /v1/stacks: one stack and the digest of its layer (null until a stager has packed it).</summary>
public sealed record StackResponse(string Name, string Description, string? LayerDigest, long? LayerSize, IReadOnlyList<string> Stagers);
