using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Messages;

namespace Platform.Bus;

public static class PlatformBusServiceCollectionExtensions
{
    /// <summary>
    /// Registers the MassTransit bus (one AddMassTransit for the whole process) with the consumers of each
    /// role this process runs, and <see cref="IMessageDispatcher"/> for the outbox. Every receive endpoint
    /// retries a failing consumer (Bus:RetryIntervalsMs) before the message goes to its _error queue, so a
    /// transient database error does not drop a message. See README.md for queues, events and routers.
    /// </summary>
    /// <param name="roles">Each role's consumer registrations, e.g. <c>x =&gt; x.AddSchedulerConsumers()</c>.</param>
    public static IServiceCollection AddPlatformBus(
        this IServiceCollection services, IConfiguration configuration, params Action<IBusRegistrationConfigurator>[] roles)
    {
        var options = configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();
        var rabbit = options.Transport == BusTransport.RabbitMq ? RabbitMqAddress.Parse(options.RabbitMq.Url) : null;
        var retryIntervals = options.RetryIntervalsMs.Where(ms => ms >= 0).ToArray();

        services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // MassTransit would report usage to its vendor over the internet: a platform's hosts need not reach it.
            x.DisableUsageTelemetry();
            // /readyz: the bus and its receive endpoints are connected.
            x.ConfigureHealthCheckOptions(h =>
            {
                h.Name = "bus";
                h.Tags.Add("ready");
            });
            foreach (var role in roles) role(x);
            x.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                if (retryIntervals.Length > 0) endpoint.UseMessageRetry(r => r.Intervals(retryIntervals));
            });

            if (rabbit is null)
            {
                x.UsingInMemory((context, bus) => bus.ConfigureEndpoints(context));
            }
            else
            {
                x.UsingRabbitMq((context, bus) =>
                {
                    bus.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, h =>
                    {
                        h.Username(rabbit.Username);
                        h.Password(rabbit.Password);
                        if (rabbit.UseTls) h.UseSsl(_ => { });
                    });
                    bus.ConfigureEndpoints(context);
                });
            }
        });
        // Hosted services that start after the bus (the outbox dispatcher) can send at once.
        services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        services.AddSingleton<IMessageDispatcher, MassTransitMessageDispatcher>();
        return services;
    }
}
