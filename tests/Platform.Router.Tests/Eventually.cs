namespace Platform.Router.Tests;

/// <summary>Polls for a condition with a generous deadline instead of asserting how long something takes.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        T last;
        while (true)
        {
            last = await probe();
            if (done(last)) return last;
            if (DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting for {what}; last value: {last}");
        return last;
    }
}
