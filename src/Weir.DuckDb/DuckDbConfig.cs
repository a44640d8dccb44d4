using System.Globalization;

namespace Weir.DuckDb;

/// <summary>How DuckDB opens a database file.</summary>
public enum DuckDbAccessMode
{
    Automatic,
    ReadOnly,
    ReadWrite,
}

/// <summary>
/// Settings applied when a database opens. The typed properties cover what Weir sets most; <see cref="Set"/>
/// takes any of DuckDB's settings by name, and an unknown name or bad value fails the open with DuckDB's message.
/// </summary>
public sealed class DuckDbConfig
{
    private readonly Dictionary<string, string> _settings = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Worker threads DuckDB may use.</summary>
    public int? Threads
    {
        get => Get("threads") is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
        set => SetOrRemove("threads", value is { } n
            ? (n > 0 ? n.ToString(CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(value), n, "threads must be at least 1"))
            : null);
    }

    /// <summary>DuckDB's memory limit, in DuckDB's syntax: "512MB", "2GB", "80%".</summary>
    public string? MemoryLimit
    {
        get => Get("memory_limit");
        set => SetOrRemove("memory_limit", value);
    }

    public DuckDbAccessMode? AccessMode
    {
        get => Get("access_mode") switch
        {
            null => null,
            "READ_ONLY" => DuckDbAccessMode.ReadOnly,
            "READ_WRITE" => DuckDbAccessMode.ReadWrite,
            _ => DuckDbAccessMode.Automatic,
        };
        set => SetOrRemove("access_mode", value switch
        {
            null => null,
            DuckDbAccessMode.ReadOnly => "READ_ONLY",
            DuckDbAccessMode.ReadWrite => "READ_WRITE",
            _ => "AUTOMATIC",
        });
    }

    /// <summary>Any DuckDB setting by name, e.g. <c>Set("default_order", "DESC")</c>.</summary>
    public DuckDbConfig Set(string name, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        _settings[name] = value;
        return this;
    }

    public IReadOnlyDictionary<string, string> Settings => _settings;

    private string? Get(string name) => _settings.TryGetValue(name, out var v) ? v : null;

    private void SetOrRemove(string name, string? value)
    {
        if (value is null)
        {
            _settings.Remove(name);
        }
        else
        {
            _settings[name] = value;
        }
    }
}
