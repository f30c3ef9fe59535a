using Platform.Blobstore;
using Platform.Contracts.Messages;
using Platform.Sandbox.Layers;

namespace Platform.Cell;

/// <summary>
/// Turns a droplet's layer list into unpacked directories: each layer is fetched from the blobstore
/// and unpacked once per digest into the cell's layer cache, shared by every instance that uses it.
/// </summary>
public sealed class DropletLayers(IBlobStore blobs, LayerCache cache)
{
    /// <summary>Returns the layer directories, bottom first, in the droplet's order.</summary>
    public async Task<IReadOnlyList<string>> FetchAsync(IReadOnlyList<LayerRef> layers, CancellationToken cancellationToken)
    {
        // Unpacking is disk-bound and independent per layer: do them side by side.
        var dirs = await Task.WhenAll(layers.Select(l =>
            cache.GetAsync(l.Digest, ct => blobs.OpenReadAsync(l.Digest, ct), cancellationToken)));
        return dirs;
    }
}
