using Platform.Staging.Buildpacks;

namespace Platform.Staging.Lifecycle;

/// <summary>Which buildpack detected the app, why (the first line its bin/detect printed), and whether only as a fallback.</summary>
/// <param name="Fallback">True when the buildpack claimed the app only as a fallback and no other buildpack detected it.</param>
/// <param name="Tried">Every buildpack whose detect ran, in order.</param>
public sealed record Detection(Buildpack Buildpack, string Reason, bool Fallback, IReadOnlyList<string> Tried)
{
    /// <summary>
    /// The exit code of a bin/detect that claims the app only when no buildpack in the order detects it (exit 0).
    /// Cloud Foundry reads any non-zero exit as "no", so such a buildpack behaves there as one that did not detect.
    /// </summary>
    public const int FallbackExitCode = 99;

    /// <summary>The first candidate whose detect exited 0; else the first that claimed the app as a fallback; else null.</summary>
    public static Detection? Choose(IReadOnlyList<Buildpack> candidates, IReadOnlyDictionary<string, (int Code, string Reason)> verdicts)
    {
        var tried = candidates.Where(b => verdicts.ContainsKey(b.Name)).Select(b => b.Name).ToList();
        foreach (var wanted in new[] { 0, FallbackExitCode })
        {
            var chosen = candidates.FirstOrDefault(b => verdicts.TryGetValue(b.Name, out var v) && v.Code == wanted);
            if (chosen is not null) return new Detection(chosen, verdicts[chosen.Name].Reason, wanted != 0, tried);
        }
        return null;
    }

    /// <summary>The staging log line: "-----> java detected: WEB-INF/web.xml in the WAR".</summary>
    public string LogLine()
    {
        var line = $"-----> {Buildpack.Name} detected" + (Reason.Length > 0 ? ": " + Reason : "");
        if (!Fallback) return line;
        var others = Tried.Where(t => t != Buildpack.Name).ToList();
        return line + (others.Count > 0
            ? $"; no other buildpack detects the app (tried {string.Join(", ", others)})"
            : "; no other buildpack detects the app");
    }
}
