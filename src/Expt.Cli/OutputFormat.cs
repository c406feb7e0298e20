namespace Expt.Cli;

/// <summary>How listings are printed (<c>--format</c>).</summary>
internal enum OutputFormat
{
    Table,
    Json,
    Csv,
    Markdown,
}
