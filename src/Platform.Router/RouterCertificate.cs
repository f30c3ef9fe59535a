using System.Security.Cryptography.X509Certificates;

namespace Platform.Router;

/// <summary>Loads the router's TLS certificate from <c>Router:CertificatePath</c> (PEM with its key, or PKCS#12).</summary>
public static class RouterCertificate
{
    public static X509Certificate2 Load(RouterOptions options)
    {
        var path = options.CertificatePath
            ?? throw new InvalidOperationException("Router:TlsUrl is set but Router:CertificatePath is not: give the certificate (PEM or .pfx)");
        if (!File.Exists(path))
            throw new InvalidOperationException($"Router:CertificatePath '{path}' does not exist");
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".pfx" or ".p12")
            return X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
        var keyPath = options.CertificateKeyPath ?? path;
        if (!File.Exists(keyPath))
            throw new InvalidOperationException($"Router:CertificateKeyPath '{keyPath}' does not exist");
        return options.CertificatePassword is { Length: > 0 } password
            ? X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath)
            : X509Certificate2.CreateFromPemFile(path, keyPath);
    }
}
