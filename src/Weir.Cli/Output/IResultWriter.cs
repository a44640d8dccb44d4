using Weir.DuckDb;

namespace Weir.Cli.Output;

/// <summary>Prints a query result. Writers read it chunk by chunk; those that can, print each chunk as it comes.</summary>
internal interface IResultWriter
{
    /// <summary>Prints every remaining row of <paramref name="result"/>. Its columns were checked by <see cref="ResultColumns"/>.</summary>
    void Write(DuckDbResult result, TextWriter output);
}
