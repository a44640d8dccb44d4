using System.Text;
using Weir.DuckDb;
using Weir.Query.Execution;

namespace Weir.Cli.Output;

/// <summary>
/// Prints RFC 4180 CSV: a header row of column names, then one record per row, each line ending in CRLF. A field
/// holding a comma, a double quote, CR or LF is quoted, with its quotes doubled. NULL is an empty field and the empty
/// string a quoted one (<c>""</c>), so the two stay apart. Each chunk of rows is printed as soon as it is read.
/// </summary>
internal sealed class CsvResultWriter : IResultWriter
{
    private const string LineEnd = "\r\n";

    public void Write(DuckDbResult result, TextWriter output)
    {
        if (result.ColumnCount == 0)
        {
            return;
        }

        var text = new StringBuilder();
        for (var c = 0; c < result.ColumnCount; c++)
        {
            if (c > 0)
            {
                text.Append(',');
            }

            AppendField(text, result.ColumnNames[c]);
        }

        text.Append(LineEnd);
        output.Write(text);
        text.Clear();

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
                    for (var c = 0; c < vectors.Length; c++)
                    {
                        if (c > 0)
                        {
                            text.Append(',');
                        }

                        if (ResultColumns.GetValue(vectors[c], row) is { } value)
                        {
                            AppendField(text, ValueText.Format(value));
                        }
                    }

                    text.Append(LineEnd);
                }
            }

            // One write per chunk: the console flushes on every write.
            output.Write(text);
            text.Clear();
        }

        output.Flush();
    }

    private static void AppendField(StringBuilder text, string value)
    {
        if (value.Length > 0 && value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            text.Append(value);
            return;
        }

        text.Append('"');
        foreach (var ch in value)
        {
            text.Append(ch);
            if (ch == '"')
            {
                text.Append('"');
            }
        }

        text.Append('"');
    }
}
