using Microsoft.Data.Sqlite;

namespace Expt.Cli.Tests;

/// <summary>
/// Every view reads stored values without trusting them: rows damaged every way a row can be (JSON that does not
/// parse, the wrong kind of JSON, a key twice, text where a number goes, an unknown status) make no command throw. Each
/// listing, show, compare, diff, summary, export and report is run in every format against such a store.
/// </summary>
public sealed class DamagedRowsTests : IDisposable
{
    private readonly InProcessCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string StorePath => Path.Combine(_cli.Directory, ".expt", "expt.db");

    private void Sql(string sql, params (string Name, object Value)[] values)
    {
        using var connection = new SqliteConnection($"Data Source={StorePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in values)
        {
            command.Parameters.AddWithValue(name, value);
        }
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task Damaged_json_and_values_in_every_column_make_no_command_throw()
    {
        _cli.Write("r.py", "import json, os, sys\nx = float(sys.argv[1])\nopen(os.environ['EXPT_METRICS'], 'w').write(json.dumps({'loss': x}) + '\\n')\njson.dump({'loss': x, 'acc': [x, x]}, open(os.environ['EXPT_RESULTS'], 'w'))\n");
        (await _cli.RunAsync("run", "--name", "s", "--set", "x=range(1, 13)", "--", "python3", "r.py", "{x}")).Exit.ShouldBe(0);
        var ids = new List<string>();
        using (var connection = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id FROM trials ORDER BY seq";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }
        var damage = new (string Column, object Value)[]
        {
            ("results", "{not json"),
            ("results", "[1, 2, 3]"),
            ("params", "not json"),
            ("params", "{\"x\": 1, \"x\": 2}"),
            ("provenance", "{{{"),
            ("history", "{\"a\": ["),
            ("usage", "[[["),
            ("tags", "{\"not\": \"a list\"}"),
            ("status", "exploded"),
            ("run", "no-such-run"),
            ("duration_ms", "slow"),
            ("exit_code", "text"),
        };
        for (var i = 0; i < damage.Length; i++)
        {
            Sql($"UPDATE trials SET {damage[i].Column} = @v WHERE id = @id", ("@v", damage[i].Value), ("@id", ids[i]));
        }
        Sql("UPDATE studies SET provenance = '{\"a\": ', tags = 'nope'");
        Sql("INSERT INTO runs (id, created, provenance) VALUES ('broken', 0, '{{{')");
        Sql("UPDATE trials SET run = 'broken' WHERE id = @id", ("@id", ids[0]));

        var commands = new List<string[]>
        {
            new[] { "studies" }, new[] { "studies", "--format", "json" }, new[] { "status", "s" }, new[] { "status", "s", "--format", "json" },
            new[] { "summary", "s" }, new[] { "summary", "s", "--format", "json" }, new[] { "compare", "--study", "s" }, new[] { "compare", "--study", "s", "--format", "json" },
            new[] { "export", "s" }, new[] { "export", "s", "--format", "json" }, new[] { "export", "s", "--format", "jsonl" }, new[] { "export", "s", "--what", "summary" },
            new[] { "export", "s", "--what", "metrics" }, new[] { "export", "s", "--what", "grid", "--format", "json" }, new[] { "report", "s", "-o", "r.html" },
            new[] { "export", "s", "--what", "merged", "-o", "merged" }, new[] { "plot", "s", "--metric", "loss", "-o", "p.svg" },
        };
        foreach (var format in new[] { "table", "json", "csv", "markdown" })
        {
            commands.Add(["ls", "--format", format]);
        }
        foreach (var id in ids)
        {
            commands.Add(["show", id]);
            commands.Add(["show", id, "--format", "json"]);
            commands.Add(["diff", id, ids[^1]]);
        }
        commands.Add(["compare", .. ids]);
        var failures = new List<string>();
        foreach (var args in commands)
        {
            var result = await _cli.RunAsync(args);
            if (result.Error.Contains("   at ", StringComparison.Ordinal) || result.Error.Contains("Exception", StringComparison.Ordinal) || result.Exit is not (0 or 1))
            {
                var first = result.Error.Split('\n').FirstOrDefault(l => l.Contains("Exception", StringComparison.Ordinal) || l.StartsWith("error", StringComparison.Ordinal)) ?? result.Error;
                var frame = result.Error.Split('\n').FirstOrDefault(l => l.Contains(" at Expt.", StringComparison.Ordinal)) ?? string.Empty;
                failures.Add($"{string.Join(' ', args)} -> exit {result.Exit}: {first.Trim()} {frame.Trim()}");
            }
        }
        failures.ShouldBeEmpty();
    }
}
