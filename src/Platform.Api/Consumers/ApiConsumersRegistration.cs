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
        return x;
    }
}
