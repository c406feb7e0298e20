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
        var b = PostgresLocation.Parse("postgresql://al%40ice:p%3Ass@db.lab:5433/runs?sslmode=require&application_name=sweep&search_path=lab", null, Env());
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
        PostgresLocation.Parse("postgresql://alice:inline@db.lab/runs", file, env).Password.ShouldBe("inline");
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", file, env).Password.ShouldBe("from-file");
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", null, env).Password.ShouldBe("from-env");
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", null, Env(("HOME", _directory))).Password.ShouldBe("from-pgpass");
        PostgresLocation.Parse("postgresql://bob@db.lab/runs", null, Env(("HOME", _directory))).Password.ShouldBeNull();
        // A credentials file may be in the .pgpass format too.
        PostgresLocation.Parse("postgresql://alice@db.lab/runs", pgpass, Env()).Password.ShouldBe("from-pgpass");
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
        var b = PostgresLocation.Parse("Host=db.lab;Username=alice;Password=s3cret;Database=runs", null, Env());
        PostgresLocation.Describe(b).ShouldNotContain("s3cret");
        Should.Throw<FormatException>(() => PostgresLocation.Parse("postgresql://alice@db.lab/runs", Path.Combine(_directory, "missing"), Env()))
            .Message.ShouldContain("missing");
    }
}
