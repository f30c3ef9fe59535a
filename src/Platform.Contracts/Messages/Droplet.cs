namespace Platform.Contracts.Messages;

/// <summary>
/// One layer of a droplet: a gzip'd tar (OCI media type application/vnd.oci.image.layer.v1.tar+gzip)
/// stored in the blobstore under its digest. Equal content means an equal digest, so a JRE or a web
/// server layer is stored and cached once for every droplet that uses it.
/// </summary>
/// <param name="Digest">"sha256:" followed by 64 lowercase hex digits, of the compressed blob.</param>
/// <param name="Size">Size in bytes of the compressed blob.</param>
/// <param name="Name">What the layer holds, for people: "stack:bookworm", "dep:busybox", "app".</param>
public sealed record LayerRef(string Digest, long Size, string Name);

/// <summary>
/// What staging produced: layers bottom first (the stack, then one per buildpack dependency, then the
/// app) and the command the instance runs (through /bin/sh -c, with $PORT set).
/// </summary>
public sealed record DropletSpec(IReadOnlyList<LayerRef> Layers, string StartCommand);
