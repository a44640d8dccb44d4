namespace Weir.Ingest.Plausible;

/// <summary>
/// Finds the site a Plausible event is for: Plausible's trackers name the site by its domain, not by a key. The
/// server's resolver also applies the site's origin rules and rate limit.
/// </summary>
public interface IDomainResolver
{
    /// <summary>
    /// The id of the site <paramref name="domain"/> belongs to, or null with <paramref name="refusal"/> saying why it
    /// takes no event (its <see cref="IngestError.Field"/> should be <c>domain</c> or the header at fault).
    /// </summary>
    string? Resolve(scoped ReadOnlySpan<char> domain, out IngestError? refusal);
}
