using Weir.Core.Configuration;

namespace Weir.Cli.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string WeirJsonPath => Path.Combine(_temp.Path, WeirConfiguration.FileName);

    private CommandLineSettings Flags(string? urls = null, string? logFormat = null, string? logLevel = null) =>
        new() { DataDirectory = _temp.Path, Urls = urls, LogFormat = logFormat, LogLevel = logLevel };

    private void WriteWeirJson(string json) => File.WriteAllText(WeirJsonPath, json);

    private static WeirConfigurationException LoadFails(CommandLineSettings flags, IReadOnlyDictionary<string, string?> environment) =>
        Assert.Throws<WeirConfigurationException>(() => WeirConfiguration.Load(flags, environment));

    [Fact]
    public void Defaults_apply_when_nothing_else_is_set()
    {
        var options = WeirConfiguration.Load(Flags(), NoEnvironment);

        Assert.Equal(_temp.Path, options.DataDirectory);
        Assert.Equal(["http://127.0.0.1:8080"], options.Http.Urls);
        Assert.Equal(LogFormat.Text, options.Logging.Format);
        Assert.Equal(WeirLogLevel.Information, options.Logging.Level);
    }

    [Fact]
    public void Lake_settings_come_from_weir_json_and_the_environment_overrides_them()
    {
        Assert.Equal(new LakeSettings(), WeirConfiguration.Load(Flags(), NoEnvironment).Lake);
        WriteWeirJson("""{"dedupWindowHours": "48", "flushRows": "1000", "flushSeconds": "30"}""");

        var fromFile = WeirConfiguration.Load(Flags(), NoEnvironment).Lake;
        var fromEnvironment = WeirConfiguration.Load(Flags(), new Dictionary<string, string?> { ["WEIR_FLUSH_ROWS"] = "250" }).Lake;

        Assert.Equal(new LakeSettings { DedupWindow = TimeSpan.FromHours(48), FlushRows = 1000, FlushAge = TimeSpan.FromSeconds(30) }, fromFile);
        Assert.Equal(250, fromEnvironment.FlushRows);
    }

    [Theory]
    [InlineData("WEIR_DEDUP_WINDOW_HOURS", "0", "'0' is not a whole number of hours, at least 1")]
    [InlineData("WEIR_FLUSH_ROWS", "-5", "'-5' is not a whole number of rows, at least 1")]
    [InlineData("WEIR_FLUSH_SECONDS", "soon", "'soon' is not a whole number of seconds, at least 1")]
    public void Bad_lake_settings_are_errors_naming_the_setting(string variable, string value, string message)
    {
        var error = Assert.Single(LoadFails(Flags(), new Dictionary<string, string?> { [variable] = value }).Errors);

        Assert.Equal(variable, error.Setting);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Data_folder_defaults_to_weir_data_in_the_working_directory()
    {
        Assert.Equal(Path.GetFullPath("weir-data"), new WeirOptions().DataDirectory);
    }

    [Fact]
    public void Flag_beats_environment_and_file()
    {
        WriteWeirJson("""{"urls": "http://127.0.0.1:3", "logFormat": "text", "logLevel": "Error"}""");
        var environment = new Dictionary<string, string?>
        {
            [WeirEnvironment.Urls] = "http://127.0.0.1:2",
            [WeirEnvironment.LogFormat] = "text",
            [WeirEnvironment.LogLevel] = "Warning",
        };

        var options = WeirConfiguration.Load(Flags("http://127.0.0.1:1", "json", "Debug"), environment);

        Assert.Equal(["http://127.0.0.1:1"], options.Http.Urls);
        Assert.Equal(LogFormat.Json, options.Logging.Format);
        Assert.Equal(WeirLogLevel.Debug, options.Logging.Level);
    }

    [Fact]
    public void Environment_beats_file()
    {
        WriteWeirJson("""{"urls": "http://127.0.0.1:3", "logFormat": "text", "logLevel": "Error"}""");
        var environment = new Dictionary<string, string?>
        {
            [WeirEnvironment.Urls] = "http://127.0.0.1:2",
            [WeirEnvironment.LogFormat] = "json",
            [WeirEnvironment.LogLevel] = "Warning",
        };

        var options = WeirConfiguration.Load(Flags(), environment);

        Assert.Equal(["http://127.0.0.1:2"], options.Http.Urls);
        Assert.Equal(LogFormat.Json, options.Logging.Format);
        Assert.Equal(WeirLogLevel.Warning, options.Logging.Level);
    }

    [Fact]
    public void File_beats_defaults()
    {
        WriteWeirJson("""
            {
              // Comments and a trailing comma are allowed.
              "urls": "https://0.0.0.0:8443",
              "logFormat": "json",
              "logLevel": "trace",
            }
            """);

        var options = WeirConfiguration.Load(Flags(), NoEnvironment);

        Assert.Equal(["https://0.0.0.0:8443"], options.Http.Urls);
        Assert.Equal(LogFormat.Json, options.Logging.Format);
        Assert.Equal(WeirLogLevel.Trace, options.Logging.Level);
    }

    [Fact]
    public void Settings_left_out_of_the_file_keep_their_defaults()
    {
        WriteWeirJson("""{"logLevel": "Critical"}""");

        var options = WeirConfiguration.Load(Flags(), NoEnvironment);

        Assert.Equal(WeirLogLevel.Critical, options.Logging.Level);
        Assert.Equal(["http://127.0.0.1:8080"], options.Http.Urls);
        Assert.Equal(LogFormat.Text, options.Logging.Format);
    }

    [Fact]
    public void Empty_environment_variable_counts_as_unset()
    {
        WriteWeirJson("""{"logFormat": "json"}""");

        var options = WeirConfiguration.Load(Flags(), new Dictionary<string, string?> { [WeirEnvironment.LogFormat] = "" });

        Assert.Equal(LogFormat.Json, options.Logging.Format);
    }

    [Fact]
    public void Data_folder_flag_beats_the_environment_and_missing_folders_are_created()
    {
        var fromFlag = _temp.Combine("flag", "nested");
        var fromEnvironment = _temp.Combine("env");

        var options = WeirConfiguration.Load(
            new CommandLineSettings { DataDirectory = fromFlag },
            new Dictionary<string, string?> { [WeirEnvironment.DataDirectory] = fromEnvironment });

        Assert.Equal(fromFlag, options.DataDirectory);
        Assert.True(Directory.Exists(fromFlag));
        Assert.False(Directory.Exists(fromEnvironment));
    }

    [Fact]
    public void Data_folder_comes_from_the_environment_without_a_flag_and_its_weir_json_is_read()
    {
        var folder = _temp.Combine("env");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "weir.json"), """{"logLevel": "Error"}""");

        var options = WeirConfiguration.Load(new CommandLineSettings(), new Dictionary<string, string?> { [WeirEnvironment.DataDirectory] = folder });

        Assert.Equal(folder, options.DataDirectory);
        Assert.Equal(WeirLogLevel.Error, options.Logging.Level);
    }

    [Fact]
    public void Several_urls_are_separated_by_semicolons_and_wildcard_hosts_are_accepted()
    {
        var options = WeirConfiguration.Load(Flags("http://127.0.0.1:0; http://*:8081;https://+:8443"), NoEnvironment);

        Assert.Equal(["http://127.0.0.1:0", "http://*:8081", "https://+:8443"], options.Http.Urls);
    }

    [Theory]
    [InlineData("flag", "--log-format: 'xml' is not one of text, json")]
    [InlineData("env", "WEIR_LOG_FORMAT: 'xml' is not one of text, json")]
    [InlineData("file", "weir.json: logFormat: 'xml' is not one of text, json")]
    public void Unknown_log_format_is_reported_with_the_setting_it_came_from(string source, string expected)
    {
        var error = Assert.Single(LoadFails(source, "logFormat", "xml").Errors);

        Assert.EndsWith(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flag", "--log-level: 'loud' is not one of Trace, Debug, Information, Warning, Error, Critical")]
    [InlineData("env", "WEIR_LOG_LEVEL: 'loud' is not one of Trace, Debug, Information, Warning, Error, Critical")]
    [InlineData("file", "weir.json: logLevel: 'loud' is not one of Trace, Debug, Information, Warning, Error, Critical")]
    public void Bad_log_level_is_reported_with_the_setting_it_came_from(string source, string expected)
    {
        var error = Assert.Single(LoadFails(source, "logLevel", "loud").Errors);

        Assert.EndsWith(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_numeric_log_level_is_not_taken_for_a_name()
    {
        var error = Assert.Single(LoadFails("flag", "logLevel", "3").Errors);

        Assert.Equal("--log-level", error.Setting);
    }

    [Theory]
    [InlineData("flag", "ftp://127.0.0.1:21", "--urls: 'ftp://127.0.0.1:21' must start with http:// or https://")]
    [InlineData("env", "localhost:8080", "WEIR_URLS: 'localhost:8080' must start with http:// or https://")]
    [InlineData("env", "not a url", "WEIR_URLS: 'not a url' is not an absolute URL")]
    [InlineData("file", "http://127.0.0.1:8080/weir", "weir.json: urls: 'http://127.0.0.1:8080/weir' must not have a path")]
    [InlineData("flag", "http://127.0.0.1:99999", "--urls: 'http://127.0.0.1:99999' is not an absolute URL")]
    [InlineData("flag", " ; ", "--urls: ' ; ' holds no URL")]
    public void Bad_url_is_reported_with_the_setting_it_came_from(string source, string value, string expected)
    {
        var error = Assert.Single(LoadFails(source, "urls", value).Errors);

        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bad_setting_is_reported_at_once()
    {
        var exception = LoadFails(Flags("ftp://x", "xml", "loud"), NoEnvironment);

        Assert.Equal(["--urls", "--log-format", "--log-level"], exception.Errors.Select(e => e.Setting));
        Assert.Equal(3, exception.Message.Split(Environment.NewLine).Length);
    }

    [Fact]
    public void Malformed_weir_json_is_reported_with_its_path_and_position()
    {
        WriteWeirJson("""{"logLevel": "Debug",, }""");

        var error = Assert.Single(LoadFails(Flags(), NoEnvironment).Errors);

        Assert.Equal(WeirJsonPath, error.Setting);
        Assert.StartsWith("not valid JSON at line 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weir_json_value_of_the_wrong_type_names_the_key()
    {
        WriteWeirJson("""{"logLevel": 3}""");

        var error = Assert.Single(LoadFails(Flags(), NoEnvironment).Errors);

        Assert.StartsWith($"{WeirJsonPath}: logLevel must be a string", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Weir_json_that_is_not_an_object_is_rejected()
    {
        WriteWeirJson("[]");

        var error = Assert.Single(LoadFails(Flags(), NoEnvironment).Errors);

        Assert.StartsWith("must hold a JSON object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_in_weir_json_is_an_error_naming_the_key()
    {
        WriteWeirJson("""{"logLevel": "Debug", "colour": "blue", "LogFormat": "json"}""");

        var errors = LoadFails(Flags(), NoEnvironment).Errors;

        Assert.Collection(errors,
            e =>
            {
                Assert.Equal($"{WeirJsonPath}: colour", e.Setting);
                Assert.Equal("unknown key; the keys are urls, trustedProxies, logFormat, logLevel, ingestRateLimit, maxBacklogMb, minFreeDiskMb, dedupWindowHours, flushRows, flushSeconds", e.Message);
            },
            e =>
            {
                Assert.Equal($"{WeirJsonPath}: LogFormat", e.Setting);
                Assert.Contains("did you mean 'logFormat'?", e.Message, StringComparison.Ordinal);
            });
    }

    [Fact]
    public void Weir_json_cannot_move_the_data_folder()
    {
        WriteWeirJson("""{"data": "/elsewhere"}""");

        var error = Assert.Single(LoadFails(Flags(), NoEnvironment).Errors);

        Assert.Equal($"{WeirJsonPath}: data", error.Setting);
        Assert.Contains("use --data or WEIR_DATA", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flag", "--data")]
    [InlineData("env", "WEIR_DATA")]
    public void Data_folder_that_cannot_be_created_is_reported_with_its_setting(string source, string setting)
    {
        // A file where a folder should be stops the folder from being created, even for root.
        var file = _temp.Combine("a-file");
        File.WriteAllText(file, "");
        var folder = Path.Combine(file, "data");

        var exception = source == "flag"
            ? LoadFails(new CommandLineSettings { DataDirectory = folder }, NoEnvironment)
            : LoadFails(new CommandLineSettings(), new Dictionary<string, string?> { [WeirEnvironment.DataDirectory] = folder });

        var error = Assert.Single(exception.Errors);
        Assert.Equal(setting, error.Setting);
        Assert.StartsWith($"cannot create the data folder '{folder}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_data_folder_flag_is_rejected()
    {
        var error = Assert.Single(LoadFails(new CommandLineSettings { DataDirectory = " " }, NoEnvironment).Errors);

        Assert.Equal("--data: the data folder must not be empty", error.ToString());
    }

    /// <summary>Sets one setting in one place (flag, environment or weir.json) and loads.</summary>
    private WeirConfigurationException LoadFails(string source, string key, string value)
    {
        var flags = Flags();
        var environment = new Dictionary<string, string?>();
        switch (source)
        {
            case "flag":
                flags = key switch
                {
                    "urls" => flags with { Urls = value },
                    "logFormat" => flags with { LogFormat = value },
                    _ => flags with { LogLevel = value },
                };
                break;
            case "env":
                var variable = key switch
                {
                    "urls" => WeirEnvironment.Urls,
                    "logFormat" => WeirEnvironment.LogFormat,
                    _ => WeirEnvironment.LogLevel,
                };
                environment[variable] = value;
                break;
            default:
                WriteWeirJson($$"""{"{{key}}": "{{value}}"}""");
                break;
        }

        return LoadFails(flags, environment);
    }
}
