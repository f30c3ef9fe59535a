using System.Net;

namespace Platform.Buildpacks.Tests;

/// <summary>Requests through the platform's router by Host header, polling until the app answers 200.</summary>
internal static class Router
{
    public static async Task<string> GetOkAsync(string routerUrl, string host, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = new Uri(routerUrl), Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Host = host;
            try
            {
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK) return body;
                last = $"{(int)response.StatusCode}: {body}";
            }
            catch (HttpRequestException e) { last = e.Message; }
            catch (TaskCanceledException e) { last = e.Message; }
            await Task.Delay(500);
        }
        throw new TimeoutException($"{host} did not answer 200 through the router within {timeout}; last: {last}");
    }
}
