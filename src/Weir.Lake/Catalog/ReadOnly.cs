using System.Collections.Immutable;
using System.Collections.ObjectModel;

namespace Weir.Lake.Catalog;

/// <summary>
/// Copies what callers hand to a snapshot into collections nobody else holds, so a snapshot cannot change after it is
/// published; collections that are already such copies pass through, so <c>with</c> expressions copy nothing.
/// </summary>
internal static class ReadOnly
{
    public static IReadOnlyList<T> List<T>(IReadOnlyList<T> value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        return value is ImmutableArray<T> { IsDefault: false } ? value : ImmutableArray.CreateRange(value);
    }

    public static IReadOnlyDictionary<string, T> Map<T>(IReadOnlyDictionary<string, T> value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        return value as CatalogMap<T> ?? new CatalogMap<T>(new Dictionary<string, T>(value, StringComparer.Ordinal));
    }
}

/// <summary>A dictionary only the catalog creates, over a dictionary only it holds.</summary>
internal sealed class CatalogMap<T>(Dictionary<string, T> owned) : ReadOnlyDictionary<string, T>(owned)
{
    public static new CatalogMap<T> Empty { get; } = new(new Dictionary<string, T>(StringComparer.Ordinal));
}
