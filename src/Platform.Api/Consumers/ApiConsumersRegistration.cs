using MassTransit;

namespace Platform.Api.Consumers;

public static class ApiConsumersRegistration
{
    /// <summary>Registers the API role's bus consumers: staging logs and results, and cells' log batches.</summary>
    public static IBusRegistrationConfigurator AddApiConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<StagingLogConsumer>();
        x.AddConsumer<StagingCompletedConsumer>();
        x.AddConsumer<LogBatchConsumer>();
        // Every API process keeps every stager's catalog: a temporary queue of its own, like a router's.
        x.AddConsumer<Catalog.StagerCatalogConsumer>().Endpoint(e =>
        {
            e.InstanceId = $"api-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
            e.Temporary = true;
        });
        // Metrics history: every API process hears every heartbeat and router report (a temporary queue of its own).
        x.AddConsumer<Metrics.MetricsConsumer>().Endpoint(e =>
        {
            e.InstanceId = $"api-metrics-{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
            e.Temporary = true;
        });
        return x;
    }
}
