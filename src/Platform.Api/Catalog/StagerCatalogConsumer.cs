using MassTransit;
using Platform.Contracts.Messages;

namespace Platform.Api.Catalog;

/// <summary>Keeps each stager's latest advertisement (on a queue of this API process's own: every API hears every stager).</summary>
public sealed class StagerCatalogConsumer(StagerCatalogs catalogs) : IConsumer<StagerCatalogAdvertised>
{
    public Task Consume(ConsumeContext<StagerCatalogAdvertised> context)
    {
        catalogs.Record(context.Message);
        return Task.CompletedTask;
    }
}
