using Spectre.Console;
using Spectre.Console.Rendering;
using Weir.DuckDb;
using Weir.Query.Execution;

namespace Weir.Cli.Output;

/// <summary>
/// Prints a Spectre.Console table with each column's name and type, then the row count. A table is measured
/// before it is drawn, so unlike CSV and JSON it holds every row in memory first.
/// </summary>
internal sealed class TableResultWriter : IResultWriter
{
    /// <summary>When the output is not a terminal there is no width to fit, so only very long cells wrap.</summary>
    private const int UnboundedWidth = 4096;

    private static readonly Style NullStyle = new(decoration: Decoration.Dim | Decoration.Italic);

    public void Write(DuckDbResult result, TextWriter output)
    {
        if (result.ColumnCount == 0)
        {
            return;
        }

        // Colours and styles only on a terminal: a pipe or file gets plain text.
        var target = new AnsiConsoleOutput(output);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = target,
            Ansi = target.IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = target.IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!target.IsTerminal)
        {
            console.Profile.Width = UnboundedWidth;
        }

        var table = new Table().Border(TableBorder.Rounded);
        for (var c = 0; c < result.ColumnCount; c++)
        {
            var header = new Markup($"[bold]{Markup.Escape(result.ColumnNames[c])}[/]\n[dim]{Markup.Escape(result.ColumnTypes[c].SqlName)}[/]");
            var column = new TableColumn(header);
            if (ResultColumns.IsNumeric(result.ColumnTypes[c]))
            {
                column.RightAligned();
            }

            table.AddColumn(column);
        }

        var rows = 0L;
        var vectors = new DuckDbVector[result.ColumnCount];
        while (result.NextChunk() is { } chunk)
        {
            using (chunk)
            {
                for (var c = 0; c < vectors.Length; c++)
                {
                    vectors[c] = chunk.GetVector(c);
                }

                for (var row = 0; row < chunk.RowCount; row++)
                {
                    var cells = new IRenderable[vectors.Length];
                    for (var c = 0; c < vectors.Length; c++)
                    {
                        cells[c] = ResultColumns.GetValue(vectors[c], row) is { } value
                            ? new Text(ValueText.Format(value))
                            : new Text("NULL", NullStyle);
                    }

                    table.AddRow(cells);
                    rows++;
                }
            }
        }

        console.Write(table);
        console.MarkupLine(rows == 1 ? "[dim]1 row[/]" : $"[dim]{rows} rows[/]");
        output.Flush();
    }
}
