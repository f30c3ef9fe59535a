using Platform.Contracts.Api;

namespace Platform.Api.Logs;

/// <summary>
/// An app's log lines as the live stream reads them: by id, ascending, and a way to wait for more. Ids only grow, and a
/// line once returned after an id is never followed by a line with a smaller id (the store holds back lines that a
/// slower writer could still precede), so "lines after the last id I saw" resumes with no gap and no duplicate.
/// Today the lines are Postgres rows (<see cref="PostgresAppLogStream"/>); bounded in-memory buffers can replace them
/// behind this interface.
/// </summary>
public interface IAppLogStream
{
    /// <summary>The newest <paramref name="limit"/> lines, oldest first.</summary>
    Task<IReadOnlyList<LogLineResponse>> RecentAsync(Guid appId, int limit, CancellationToken ct);

    /// <summary>
    /// Lines with an id above <paramref name="afterId"/>, oldest first, at most <paramref name="limit"/>, and the id up to
    /// which the answer is complete (<see cref="LogPage.Through"/>: no line at or below it can come later).
    /// </summary>
    Task<LogPage> AfterAsync(Guid appId, long afterId, int limit, CancellationToken ct);

    /// <summary>Returns when the app may have lines above <paramref name="afterId"/> (at once if it has), or when <paramref name="ct"/> ends.</summary>
    Task WaitAsync(Guid appId, long afterId, CancellationToken ct);

    /// <summary>Says that lines of the app were just stored by this process, so waiters need not wait for the next look.</summary>
    void Appended(Guid appId);
}

/// <summary>Lines after an id, and the id through which nothing more can appear (at least the last line's id).</summary>
public sealed record LogPage(IReadOnlyList<LogLineResponse> Lines, long Through);
