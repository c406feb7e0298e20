using System.Globalization;
using Expt.Provenance;
using Npgsql;

namespace Expt.Storage.Postgres;

/// <summary>
/// Turns what a user gives as <c>--store</c> (a <c>postgresql://</c> URL or an Npgsql connection string) into a
/// connection string, finding the password in the URL, a credentials file, <c>PGPASSWORD</c> or <c>~/.pgpass</c>.
/// </summary>
public static partial class PostgresLocation
{
    // An Npgsql connection string names its host as a key of its own: "Host=db;..." or "...;Server=db".
    [System.Text.RegularExpressions.GeneratedRegex(@"(^|;)\s*(host|server)\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ConnectionStringHost();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<lead>^|;)\s*pgbouncer\s*=\s*(?<value>[A-Za-z0-9]*)\s*(?<trail>;|$)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex PgBouncerKeyword();

    /// <summary>Whether <paramref name="location"/> names a PostgreSQL database rather than a SQLite file.</summary>
    public static bool IsPostgres(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || ConnectionStringHost().IsMatch(location);
    }

    /// <summary>Builds the connection string, and reads whether a pooler in transaction mode stands in front of the server.</summary>
    /// <param name="location">A URL (<c>?pgbouncer=true</c> names the pooler) or an Npgsql connection string (<c>PgBouncer=true</c>).</param>
    /// <param name="credentialsFile">A file with the password alone, or lines in the .pgpass format; may be null.</param>
    /// <param name="environment">Reads environment variables (PGPASSWORD, PGPASSFILE, HOME).</param>
    /// <exception cref="FormatException">The location is malformed (the message never contains the password).</exception>
    public static PostgresTarget Parse(string location, string? credentialsFile, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(environment);
        NpgsqlConnectionStringBuilder builder;
        var pgbouncer = false;
        try
        {
            builder = location.Contains("://", StringComparison.Ordinal) ? FromUrl(location, out pgbouncer) : FromConnectionString(location, out pgbouncer);
        }
        catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or InvalidCastException or OverflowException or UriFormatException or IndexOutOfRangeException)
        {
            // Npgsql's builder throws several kinds of exception at a malformed string: each is one user mistake, said
            // in our words (its own text may quote a value, and a value may be the password).
            throw new FormatException($"'{Redactor.RedactText(Spec.InputLimits.Quote(location))}' is not a PostgreSQL URL or connection string: {Explain(location)}", ex);
        }
        if (string.IsNullOrEmpty(builder.Username))
        {
            builder.Username = environment("PGUSER") ?? environment("USER") ?? "postgres";
        }
        if (string.IsNullOrEmpty(builder.Password) && credentialsFile is not null)
        {
            builder.Password = PasswordFromFile(credentialsFile, builder)
                ?? throw new FormatException($"the credentials file {credentialsFile} has no password for {Describe(builder)}");
        }
        if (string.IsNullOrEmpty(builder.Password) && environment("PGPASSWORD") is { Length: > 0 } password)
        {
            builder.Password = password;
        }
        if (string.IsNullOrEmpty(builder.Password))
        {
            var passfile = environment("PGPASSFILE") ?? (environment("HOME") is { } home ? Path.Combine(home, ".pgpass") : null);
            if (passfile is not null && File.Exists(passfile) && PasswordFromFile(passfile, builder) is { } fromPassfile)
            {
                builder.Password = fromPassfile;
            }
        }
        return new PostgresTarget(builder, pgbouncer);
    }

    /// <summary>Where the store is, for humans: never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder, bool pgbouncer = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Port == NpgsqlConnection.DefaultPort ? string.Empty : ":" + builder.Port.ToString(CultureInfo.InvariantCulture);
        var query = new List<string>();
        if (!string.IsNullOrEmpty(builder.SearchPath))
        {
            query.Add("search_path=" + builder.SearchPath);
        }
        if (pgbouncer)
        {
            query.Add("pgbouncer=true");
        }
        return $"postgresql://{builder.Username}@{builder.Host}{port}/{builder.Database}{(query.Count == 0 ? string.Empty : "?" + string.Join('&', query))}";
    }

    private static NpgsqlConnectionStringBuilder FromConnectionString(string location, out bool pgbouncer)
    {
        // Npgsql knows no such keyword: take it out before Npgsql reads the rest.
        pgbouncer = false;
        if (PgBouncerKeyword().Match(location) is { Success: true } match)
        {
            pgbouncer = Flag(match.Groups["value"].Value, "PgBouncer");
            location = location.Remove(match.Index, match.Length).Insert(match.Index, match.Groups["lead"].Value.Length > 0 && match.Groups["trail"].Value.Length > 0 ? ";" : string.Empty);
        }
        try
        {
            return new NpgsqlConnectionStringBuilder(location);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new FormatException(Explain(location), ex);
        }
    }

    /// <summary>What is wrong with a connection string, in words that name keys but never quote a value.</summary>
    private static string Explain(string location)
    {
        if (location.Contains("://", StringComparison.Ordinal))
        {
            return "expected postgresql://user@host:5432/database?search_path=schema";
        }
        System.Data.Common.DbConnectionStringBuilder parsed;
        try
        {
            parsed = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = location };
        }
        catch (ArgumentException)
        {
            return "expected KEY=VALUE pairs separated by ';' (a value holding ';' or a quote in quotes: Password='a;b')";
        }
        var known = new NpgsqlConnectionStringBuilder();
        foreach (string key in parsed.Keys)
        {
            if (!known.ContainsKey(key) && !key.Equals("pgbouncer", StringComparison.OrdinalIgnoreCase))
            {
                return $"unknown key '{Spec.InputLimits.Quote(key)}'; expected keys such as Host, Port, Database, Username, Password, Search Path, SSL Mode, Timeout";
            }
            try
            {
                known[key] = parsed[key];
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                return $"the value of key '{Spec.InputLimits.Quote(key)}' is not valid for it";
            }
        }
        return "expected Host=...;Database=...;Username=...";
    }

    private static bool Flag(string value, string name) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new FormatException($"{name} '{value}' is not true or false"),
    };

    private static NpgsqlConnectionStringBuilder FromUrl(string location, out bool pgbouncer)
    {
        pgbouncer = false;
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres"))
        {
            throw new FormatException("not a valid PostgreSQL URL; expected postgresql://user@host:5432/database");
        }
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = string.IsNullOrEmpty(uri.Host) ? "localhost" : uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? NpgsqlConnection.DefaultPort : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : null,
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (name.ToLowerInvariant())
            {
                case "sslmode":
                    builder.SslMode = Enum.TryParse<SslMode>(value.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var mode)
                        ? mode
                        : throw new FormatException($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full");
                    break;
                case "connect_timeout":
                    builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                        ? seconds
                        : throw new FormatException($"connect_timeout '{value}' is not a number of seconds");
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "search_path" or "schema":
                    builder.SearchPath = value;
                    break;
                case "pgbouncer":
                    pgbouncer = Flag(value, "pgbouncer");
                    break;
                default:
                    throw new FormatException($"unknown URL parameter '{name}'; expected sslmode, connect_timeout, application_name, search_path or pgbouncer");
            }
        }
        return builder;
    }

    // A file with just a password, or .pgpass lines host:port:database:user:password ('*' matches anything).
    private static string? PasswordFromFile(string path, NpgsqlConnectionStringBuilder builder)
    {
        string[] lines;
        try
        {
            // Bounded: a credentials file is a few lines, and /dev/zero given by mistake must not be read forever.
            lines = (Execution.TrialFiles.ReadText(path, 64 * 1024, out var error, readPipes: true) ?? throw new FormatException($"cannot read the credentials file {path}: {error ?? "no such file"}"))
                .Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        }
        catch (IOException ex)
        {
            throw new FormatException($"cannot read the credentials file {path}: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new FormatException($"cannot read the credentials file {path}: {ex.Message}", ex);
        }
        var entries = lines.Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        if (entries.Count == 1 && !entries[0].Contains(':', StringComparison.Ordinal))
        {
            return entries[0].Trim();
        }
        foreach (var line in entries)
        {
            var fields = SplitPgpass(line);
            if (fields.Count == 5
                && Matches(fields[0], builder.Host)
                && Matches(fields[1], builder.Port.ToString(CultureInfo.InvariantCulture))
                && Matches(fields[2], builder.Database ?? builder.Username)
                && Matches(fields[3], builder.Username))
            {
                return fields[4];
            }
        }
        return null;
    }

    private static bool Matches(string pattern, string? value) => pattern == "*" || string.Equals(pattern, value, StringComparison.Ordinal);

    private static List<string> SplitPgpass(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                current.Append(line[++i]);
            }
            else if (line[i] == ':' && fields.Count < 4)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(line[i]);
            }
        }
        fields.Add(current.ToString());
        return fields;
    }
}
