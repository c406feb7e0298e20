using System.CommandLine;

namespace Expt.Cli;

/// <summary>Options every command takes.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Store { get; } = new("--store")
    {
        Description = "The store: a SQLite file path (default ./.expt/expt.db), a postgresql://user@host:5432/db URL or an Npgsql connection string; or $EXPT_STORE",
        Recursive = true,
    };

    public Option<string?> Credentials { get; } = new("--credentials")
    {
        Description = "A file with the PostgreSQL password (alone, or .pgpass lines); or $EXPT_CREDENTIALS. PGPASSWORD and ~/.pgpass work too",
        Recursive = true,
    };

    public Option<string?> Artifacts { get; } = new("--artifacts")
    {
        Description = "A directory shared by all machines for trial logs and artifacts (PostgreSQL stores; default: small files are kept in the database); or $EXPT_ARTIFACTS",
        Recursive = true,
    };

    public Option<string> Style { get; } = new("--style")
    {
        Description = "Console style: auto (rich on a terminal, plain when piped), rich, plain (or simple) or markdown; or $EXPT_STYLE",
        Recursive = true,
        DefaultValueFactory = _ => "auto",
        HelpName = "auto|rich|plain|markdown",
    };

    public static Option<OutputFormat> Format() => new("--format")
    {
        Description = "Output format [default: table]",
        HelpName = "table|json|csv|markdown",
        CustomParser = result => result.Tokens.Count == 0 ? OutputFormat.Table : result.Tokens[0].Value.ToLowerInvariant() switch
        {
            "table" => OutputFormat.Table,
            "json" => OutputFormat.Json,
            "csv" => OutputFormat.Csv,
            "markdown" or "md" => OutputFormat.Markdown,
            var other => Fail(result, other),
        },
    };

    /// <summary>An integer option whose parse error says what was expected, in the user's words.</summary>
    public static Option<int?> Integer(string name, string alias, string description, string expected) => new(name, alias)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            result.AddError($"{name}: expected {expected}, got '{text}'");
            return null;
        },
    };

    private static OutputFormat Fail(System.CommandLine.Parsing.ArgumentResult result, string value)
    {
        result.AddError($"--format: '{value}' is not a format; expected table, json, csv or markdown");
        return OutputFormat.Table;
    }
}
