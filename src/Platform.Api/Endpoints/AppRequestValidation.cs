using Platform.Contracts;

namespace Platform.Api.Endpoints;

/// <summary>Checks the size and count fields of create/update/scale bodies; null fields mean "unchanged".</summary>
internal static class AppRequestValidation
{
    public const int MaxInstances = 100;

    public sealed record Sizes(int? Instances, int? MemoryMb, int? DiskMb);

    /// <summary>Returns the parsed values, or an error message naming the bad field.</summary>
    public static (Sizes? Value, string? Error) Parse(int? instances, string? memory, string? disk)
    {
        if (instances is < 0 or > MaxInstances)
            return (null, $"instances must be between 0 and {MaxInstances}, not {instances}");
        int? memoryMb = null, diskMb = null;
        if (memory is not null)
        {
            memoryMb = Platform.Contracts.Sizes.TryParseMegabytes(memory, out var error);
            if (memoryMb is null) return (null, $"memory: {error}");
        }
        if (disk is not null)
        {
            diskMb = Platform.Contracts.Sizes.TryParseMegabytes(disk, out var error);
            if (diskMb is null) return (null, $"disk: {error}");
        }
        return (new Sizes(instances, memoryMb, diskMb), null);
    }

    public static string? CheckName(string? name) =>
        Names.IsValidAppName(name)
            ? null
            : $"'{name}' is not a valid app name: use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit (it becomes a DNS label)";
}
