using Weir.DuckDb.Native;

namespace Weir.DuckDb.Tests;

public sealed class DatabaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("weir-duckdb-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_loaded_library_is_DuckDB_1_5_6() => Assert.Equal("v1.5.6", DuckDbDatabase.LibraryVersion);

    [Fact]
    public void The_allocator_purge_delay_can_be_set_and_read_back()
    {
        var before = DuckDbAllocator.PurgeDelay;
        Assert.NotNull(before); // the linux-x64 library carries jemalloc
        try
        {
            Assert.True(DuckDbAllocator.TrySetPurgeDelay(TimeSpan.FromSeconds(42)));
            Assert.Equal(TimeSpan.FromSeconds(42), DuckDbAllocator.PurgeDelay);
            Assert.True(DuckDbAllocator.TrySetPurgeDelay(Timeout.InfiniteTimeSpan));
            Assert.Equal(Timeout.InfiniteTimeSpan, DuckDbAllocator.PurgeDelay);
            Assert.Throws<ArgumentOutOfRangeException>(() => DuckDbAllocator.TrySetPurgeDelay(TimeSpan.FromSeconds(-1)));
        }
        finally
        {
            DuckDbAllocator.TrySetPurgeDelay(before!.Value);
        }
    }

    [Fact]
    public void An_in_memory_database_answers_queries()
    {
        using var db = new TestDatabase();
        Assert.Equal(DuckDbDatabase.InMemory, db.Database.Path);
        Assert.Equal(42, db.Connection.ExecuteScalar("SELECT 42"));
    }

    [Fact]
    public void A_file_database_keeps_its_data_after_reopening()
    {
        var path = Path.Combine(_dir, "a.duckdb");
        using (var db = DuckDbDatabase.Open(path))
        using (var conn = db.Connect())
        {
            conn.Execute("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3)");
        }

        using (var db = DuckDbDatabase.Open(path))
        using (var conn = db.Connect())
        {
            Assert.Equal((Int128)6, conn.ExecuteScalar("SELECT sum(x) FROM t"));
        }
    }

    [Fact]
    public void Threads_and_memory_limit_are_applied_at_open()
    {
        using var db = new TestDatabase(new DuckDbConfig { Threads = 1, MemoryLimit = "256MiB" });
        Assert.Equal("1", db.Connection.ExecuteScalar("SELECT current_setting('threads')::VARCHAR"));
        Assert.Equal("256.0 MiB", db.Connection.ExecuteScalar("SELECT current_setting('memory_limit')"));
    }

    [Fact]
    public void Any_setting_can_be_given_by_name()
    {
        using var db = new TestDatabase(new DuckDbConfig().Set("default_order", "DESC"));
        Assert.Equal("desc", ((string)db.Connection.ExecuteScalar("SELECT current_setting('default_order')")!).ToLowerInvariant());
        Assert.Equal(3, db.Connection.ExecuteScalar("SELECT x FROM (VALUES (1), (3), (2)) v(x) ORDER BY x LIMIT 1"));
    }

    [Fact]
    public void Read_only_access_mode_refuses_writes_with_duckdbs_message()
    {
        var path = Path.Combine(_dir, "ro.duckdb");
        using (var db = DuckDbDatabase.Open(path))
        using (var conn = db.Connect())
        {
            conn.Execute("CREATE TABLE t(x INTEGER)");
        }

        using (var db = DuckDbDatabase.Open(path, new DuckDbConfig { AccessMode = DuckDbAccessMode.ReadOnly }))
        using (var conn = db.Connect())
        {
            var error = Assert.Throws<DuckDbException>(() => conn.Execute("INSERT INTO t VALUES (1)"));
            Assert.Contains("read-only", error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0L, conn.ExecuteScalar("SELECT count(*) FROM t"));
        }
    }

    [Fact]
    public void An_unknown_setting_fails_the_open_and_names_it()
    {
        var error = Assert.Throws<DuckDbException>(() => DuckDbDatabase.Open(null, new DuckDbConfig().Set("no_such_setting_xyz", "1")));
        Assert.Contains("no_such_setting_xyz", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_setting_value_fails_the_open()
    {
        var error = Assert.Throws<DuckDbException>(() => DuckDbDatabase.Open(null, new DuckDbConfig { MemoryLimit = "lots" }));
        Assert.Contains("memory_limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_a_directory_as_a_database_fails_with_duckdbs_message()
    {
        var error = Assert.Throws<DuckDbException>(() => DuckDbDatabase.Open(_dir));
        Assert.StartsWith($"Could not open DuckDB database '{_dir}': ", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length > $"Could not open DuckDB database '{_dir}': ".Length + 5, error.Message);
    }

    [Fact]
    public void A_missing_native_library_explains_how_to_install_it()
    {
        var missing = Path.Combine(_dir, "nowhere", DuckDbNativeLibrary.FileName);
        var error = Assert.Throws<DuckDbException>(() => DuckDbNativeLibrary.Load([missing]));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("npm ci", error.Message, StringComparison.Ordinal);
        Assert.Contains("@duckdb/node-bindings-", error.Message, StringComparison.Ordinal);
        Assert.Contains(DuckDbNativeLibrary.PathVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_library_is_reported_as_such()
    {
        var bogus = Path.Combine(_dir, DuckDbNativeLibrary.FileName);
        File.WriteAllText(bogus, "not a shared object");
        var error = Assert.Throws<DuckDbException>(() => DuckDbNativeLibrary.Load([bogus]));
        Assert.Contains(bogus, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(not found)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_explicit_library_path_variable_takes_precedence()
    {
        Assert.Equal(["/opt/x/libduckdb.so"], DuckDbNativeLibrary.CandidatePaths("/opt/x/libduckdb.so", "/app"));
        Assert.Equal([Path.Combine("/app", DuckDbNativeLibrary.FileName)], DuckDbNativeLibrary.CandidatePaths(null, "/app"));
    }
}
