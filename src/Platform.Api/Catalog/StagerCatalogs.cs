using System.Collections.Concurrent;
using Platform.Contracts.Api;
using Platform.Contracts.Messages;

namespace Platform.Api.Catalog;

/// <summary>
/// The latest <see cref="StagerCatalogAdvertised"/> of every stager this API process has heard from. A stager
/// silent for three of its own intervals is forgotten (it stopped, or lost the bus). In memory: after a restart
/// the API knows every stager again within one interval.
/// </summary>
public sealed class StagerCatalogs(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, StagerCatalogAdvertised> _latest = new();

    public void Record(StagerCatalogAdvertised advertisement) =>
        _latest.AddOrUpdate(advertisement.StagerId, advertisement,
            (_, existing) => existing.Timestamp > advertisement.Timestamp ? existing : advertisement);

    private IReadOnlyList<StagerCatalogAdvertised> Live()
    {
        var now = time.GetUtcNow();
        foreach (var (id, a) in _latest)
            if (now - a.Timestamp > a.Interval * 3) _latest.TryRemove(id, out _);
        return _latest.Values.OrderBy(a => a.StagerId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether any stager is known: with none, listings are empty for want of news, not of buildpacks.</summary>
    public bool AnyStager => Live().Count > 0;

    /// <summary>Buildpacks in detect order (each stager's positions; the lowest wins when stagers disagree).</summary>
    public IReadOnlyList<BuildpackResponse> Buildpacks() =>
        Live()
            .SelectMany(a => a.Buildpacks.Select(b => (a.StagerId, Buildpack: b)))
            .GroupBy(x => (x.Buildpack.Name, x.Buildpack.Version, x.Buildpack.Stack))
            .Select(g =>
            {
                var first = g.OrderBy(x => x.Buildpack.Position).First().Buildpack;
                return new BuildpackResponse(first.Name, first.Position, first.Version, first.Stack, first.Dependencies,
                    first.Error, g.Select(x => x.StagerId).Distinct().ToList());
            })
            .OrderBy(b => b.Position).ThenBy(b => b.Name, StringComparer.Ordinal)
            .ToList();

    public IReadOnlyList<StackResponse> Stacks() =>
        Live()
            .SelectMany(a => a.Stacks.Select(s => (a.StagerId, Stack: s)))
            .GroupBy(x => x.Stack.Name)
            .Select(g =>
            {
                // Stagers that packed the stack know its digest; one that has not yet says null.
                var known = g.Select(x => x.Stack).FirstOrDefault(s => s.LayerDigest is not null) ?? g.First().Stack;
                return new StackResponse(known.Name, known.Description, known.LayerDigest, known.LayerSize,
                    g.Select(x => x.StagerId).Distinct().ToList());
            })
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
}
