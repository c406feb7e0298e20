using Expt.Storage.Postgres;
using FsCheck;
using FsCheck.Fluent;

namespace Expt.Storage.Tests;

public sealed class PostgresLocationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("expt-creds-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Any_store_location_parses_or_fails_with_a_format_error()
    {
        var piece = FsCheck.Fluent.Gen.OneOf(
            FsCheck.Fluent.Gen.Select(FsCheck.Fluent.Gen.Elements("postgresql:/@:?&=;%aZ09.-_ \"'".ToCharArray()), c => c.ToString()),
            FsCheck.Fluent.Gen.Elements("postgresql://", "postgres://", "Host=", "Port=", ";Password=", "?sslmode=", "&search_path=", "%zz", "%40", ":99999999999", "[::1]", "Username=", "Timeout=x;"));
        var texts = FsCheck.Fluent.Arb.ToArbitrary(FsCheck.Fluent.Gen.Select(FsCheck.Fluent.Gen.ListOf(piece), parts => string.Concat(parts)));
        FsCheck.Fluent.Prop.ForAll(texts, text =>
        {
            try
            {
                if (PostgresLocation.IsPostgres(text))
                {
                    PostgresLocation.Parse(text, null, Env());
                }
            }
            catch (FormatException)
            {
            }
        }).Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    [Theory]
    [InlineData("postgresql://alice@db.lab:5433/runs", true)]
    [InlineData("postgres://db.lab/runs", true)]
    [InlineData("Host=db.lab;Username=alice;Database=runs", true)]
    [InlineData(".expt/expt.db", false)]
    [InlineData("/data/host=1/expt.db", false)]
    public void Tells_postgres_locations_from_sqlite_paths(string location, bool expected) =>
        PostgresLocation.IsPostgres(location).ShouldBe(expected);

    [Fact]
    public void A_url_gives_user_password_host_port_database_and_parameters()
    {
        var target = PostgresLocation.Parse("postgresql://al%40ice:p%3Ass@db.lab:5433/runs?sslmode=require&application_name=sweep&search_path=lab", null, Env());
        target.PgBouncer.ShouldBeFalse();
        var b = target.Connection;
        (b.Username, b.Password, b.Host, b.Port, b.Database).ShouldBe(("al@ice", "p:ss", "db.lab", 5433, "runs"));
        b.SslMode.ShouldBe(Npgsql.SslMode.Require);
        b.ApplicationName.ShouldBe("sweep");
        b.SearchPath.ShouldBe("lab");
        PostgresLocation.Describe(b).ShouldBe("postgresql://al@ice@db.lab:5433/runs?search_path=lab");
    }

    [Fact]
    public void The_password_comes_from_the_url_then_the_credentials_file_then_pgpassword_then_pgpass()
    {
        var file = Path.Combine(_directory, "secret");
        File.WriteAllText(file, "from-file\n");
        var pgpass = Path.Combine(_directory, ".pgpass");
        File.WriteAllText(pgpass, "# comment\nother:5432:*:alice:wrong\ndb.lab:5432:runs:alice:from-pgpass\n");
        var env = Env(("PGPASSWORD", "from-env"), ("HOME", _directory));
        PostgresLocation.Parse("postgresql://alice:inline@db.lab/runs", file, env).Connection.Password.ShouldBe("inline");
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", file, env).Connection.Password.ShouldBe("from-file");
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", null, env).Connection.Password.ShouldBe("from-env");
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", null, Env(("HOME", _directory))).Connection.Password.ShouldBe("from-pgpass");
        PostgresLocation.Parse("postgresql://bob@db.lab/runs", null, Env(("HOME", _directory))).Connection.Password.ShouldBeNull();
        // A credentials file may be in the .pgpass format too.
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", pgpass, Env()).Connection.Password.ShouldBe("from-pgpass");
    }

    [Fact]
    public void Mistakes_are_reported_without_the_password()
    {
        Should.Throw<FormatException>(() => PostgresLocation.Parse("postgresql://alice:s3cret@db.lab/runs?sslmode=sometimes", null, Env()))
            .Message.ShouldSatisfyAllConditions(m => m.ShouldContain("sslmode"), m => m.ShouldNotContain("s3cret"));
        Should.Throw<FormatException>(() => PostgresLocation.Parse("postgresql://alice:s3cret@db.lab/runs?colour=blue", null, Env()))
            .Message.ShouldNotContain("s3cret");
        Should.Throw<FormatException>(() => PostgresLocation.Parse("Host=db;Passwort=s3cret", null, Env()))
            .Message.ShouldNotContain("s3cret");
        var b = PostgresLocation.Parse("Host=db.lab;Username=alice;Password=s3cret;Database=runs", null, Env()).Connection;
        PostgresLocation.Describe(b).ShouldNotContain("s3cret");
        Should.Throw<FormatException>(() => PostgresLocation.Parse("postgresql://alice@db.lab/runs", Path.Combine(_directory, "missing"), Env()))
            .Message.ShouldContain("missing");
        Should.Throw<FormatException>(() => PostgresLocation.Parse("postgresql://alice:s3cret@db.lab/runs?pgbouncer=maybe", null, Env()))
            .Message.ShouldSatisfyAllConditions(m => m.ShouldContain("pgbouncer 'maybe' is not true or false"), m => m.ShouldNotContain("s3cret"));
        Should.Throw<FormatException>(() => PostgresLocation.Parse("Host=db;PgBouncer=perhaps;Password=s3cret", null, Env()))
            .Message.ShouldSatisfyAllConditions(m => m.ShouldContain("PgBouncer 'perhaps'"), m => m.ShouldNotContain("s3cret"));
    }

    [Theory]
    [InlineData("Host=db;Colour=blue;Password=s3cret", "unknown key 'Colour'; expected keys such as Host, Port")]
    [InlineData("Host=db;Port=eighty;Password=s3cret", "the value of key 'Port' is not valid for it")]
    [InlineData("Host=db;Password='s3cret;Database=x", "expected KEY=VALUE pairs separated by ';'")]
    [InlineData("Host=db;Timeout=-5;Password=s3cret", "the value of key 'Timeout' is not valid for it")]
    public void Malformed_connection_strings_are_told_in_our_words_never_the_drivers(string location, string expected)
    {
        var message = Should.Throw<FormatException>(() => PostgresLocation.Parse(location, null, Env())).Message;
        message.ShouldContain(expected);
        message.ShouldNotContain("s3cret");
        // .NET's own texts, which quote what they could not read.
        message.ShouldNotContain("Keyword not supported");
        message.ShouldNotContain("Format of the initialization string");
        message.ShouldNotContain("Input string");
    }

    [Theory]
    [InlineData("postgresql://alice@db.lab:6432/runs?pgbouncer=true&search_path=lab", true)]
    [InlineData("postgresql://alice@db.lab:6432/runs?search_path=lab&pgbouncer=1", true)]
    [InlineData("postgresql://alice@db.lab:6432/runs?pgbouncer=false&search_path=lab", false)]
    [InlineData("postgresql://alice@db.lab:6432/runs?search_path=lab", false)]
    [InlineData("Host=db.lab;Port=6432;Username=alice;Database=runs;Search Path=lab;PgBouncer=true", true)]
    [InlineData("PgBouncer=true;Host=db.lab;Port=6432;Username=alice;Database=runs;Search Path=lab", true)]
    [InlineData("Host=db.lab;Port=6432;pgbouncer = TRUE ;Username=alice;Database=runs;Search Path=lab", true)]
    [InlineData("Host=db.lab;Port=6432;Username=alice;Database=runs;Search Path=lab", false)]
    public void PgBouncer_is_named_in_a_url_or_a_connection_string_and_survives_the_round_trip(string location, bool expected)
    {
        var target = PostgresLocation.Parse(location, null, Env());
        target.PgBouncer.ShouldBe(expected);
        (target.Connection.Host, target.Connection.Port, target.Connection.Database, target.Connection.SearchPath).ShouldBe(("db.lab", 6432, "runs", "lab"));
        PostgresLocation.Describe(target.Connection, target.PgBouncer).ShouldBe("postgresql://alice@db.lab:6432/runs?search_path=lab" + (expected ? "&pgbouncer=true" : string.Empty));
        // What `expt slurm submit` writes into a worker's script reads back the same.
        var again = PostgresLocation.Parse(target.ToLocation(), null, Env());
        (again.PgBouncer, again.Connection.ConnectionString).ShouldBe((expected, target.Connection.ConnectionString));
    }
}
