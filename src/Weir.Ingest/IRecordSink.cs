namespace Weir.Ingest;

/// <summary>
/// Receives each valid canonical record as it is produced. The span is only valid during the call: a sink copies it
/// (into the log's buffer, typically) before returning.
/// </summary>
public interface IRecordSink
{
    /// <summary>
    /// Takes one record. Returning false stops the parse: the result then carries an
    /// <see cref="IngestErrorKind.Unavailable"/> body error (503), and the records taken before stay taken.
    /// </summary>
    bool TryWrite(ReadOnlySpan<byte> record);
}
