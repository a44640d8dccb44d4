namespace Weir.Lake.Catalog;

/// <summary>
/// What every catalog must satisfy, checked both when one is loaded and before one is written: a commit that wrote
/// something the next start-up refuses would take the lake down, so a bad change is refused while it is still in memory.
/// </summary>
internal static class CatalogRules
{
    /// <summary>The first thing wrong with the snapshot, in words; null when there is nothing.</summary>
    public static string? FindProblem(CatalogSnapshot snapshot)
    {
        if (snapshot.Generation < 0 || snapshot.Watermark < 0)
        {
            return $"generation ({snapshot.Generation}) and watermark ({snapshot.Watermark}) cannot be negative";
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < snapshot.Files.Count; i++)
        {
            if (FindProblem(snapshot.Files[i]) is { } problem)
            {
                return $"files[{i}]: {problem}";
            }

            if (!paths.Add(snapshot.Files[i].Path))
            {
                return $"files[{i}]: '{snapshot.Files[i].Path}' is listed twice";
            }
        }

        for (var i = 0; i < snapshot.PendingDeletes.Count; i++)
        {
            var pending = snapshot.PendingDeletes[i];
            if (pending is null)
            {
                return $"pendingDeletes[{i}] is null";
            }

            if (FindPathProblem(pending.Path) is { } problem)
            {
                return $"pendingDeletes[{i}]: {problem}";
            }

            if (paths.Contains(pending.Path))
            {
                return $"pendingDeletes[{i}]: '{pending.Path}' is also a live file";
            }
        }

        foreach (var (siteId, schema) in snapshot.Sites)
        {
            if (FindSiteIdProblem(siteId) is { } problem)
            {
                return $"sites: {problem}";
            }

            if (FindProblem(schema) is { } schemaProblem)
            {
                return $"sites.{siteId}: {schemaProblem}";
            }
        }

        return null;
    }

    private static string? FindProblem(CatalogFile? file)
    {
        if (file is null)
        {
            return "the entry is null";
        }

        if (FindPathProblem(file.Path) is { } pathProblem)
        {
            return pathProblem;
        }

        if (FindSiteIdProblem(file.SiteId) is { } siteProblem)
        {
            return siteProblem;
        }

        if (file.Rows < 0 || file.Bytes < 0)
        {
            return $"'{file.Path}' has a negative row count ({file.Rows}) or size ({file.Bytes})";
        }

        if (file.LogStart < 0 || file.LogEnd < file.LogStart)
        {
            return $"'{file.Path}' has the log range [{file.LogStart}, {file.LogEnd}), which is not a range of positions";
        }

        return file.MinTimestamp > file.MaxTimestamp
            ? $"'{file.Path}' has a minimum timestamp ({file.MinTimestamp:O}) after its maximum ({file.MaxTimestamp:O})"
            : null;
    }

    private static string? FindProblem(SiteSchema? schema)
    {
        if (schema is null)
        {
            return "the entry is null";
        }

        foreach (var (name, stats) in schema.Events)
        {
            if (stats is null || stats.Count < 0)
            {
                return $"event '{name}' has no valid count";
            }
        }

        foreach (var (key, stats) in schema.Properties)
        {
            if (stats is null || stats.Count < 0)
            {
                return $"property '{key}' has no valid count";
            }
        }

        return null;
    }

    private static string? FindPathProblem(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "a file path is empty";
        }

        if (path[0] == '/' || path.Contains('\\', StringComparison.Ordinal) || path.Contains(':', StringComparison.Ordinal))
        {
            return $"'{path}' is not a path relative to the lake root with '/' separators";
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return $"'{path}' has an empty, '.' or '..' segment";
            }
        }

        return null;
    }

    private static string? FindSiteIdProblem(string? siteId)
    {
        try
        {
            LakeLayout.CheckSiteId(siteId!);
            return null;
        }
        catch (ArgumentException ex)
        {
            return siteId is null or "" ? "a site id is empty" : ex.Message;
        }
    }
}
