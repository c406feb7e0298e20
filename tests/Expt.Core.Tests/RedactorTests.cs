using Expt.Provenance;

namespace Expt.Core.Tests;

public sealed class RedactorTests
{
    [Theory]
    [InlineData("PGPASSWORD", true)]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("AWS_SECRET_ACCESS_KEY", true)]
    [InlineData("OPENAI_API_KEY", true)]
    [InlineData("MY_KEY", true)]
    [InlineData("HOME", false)]
    [InlineData("KEYBOARD_LAYOUT", false)]
    [InlineData("MONKEY", false)]
    [InlineData("CUDA_VISIBLE_DEVICES", false)]
    public void Secret_names_are_recognised(string name, bool secret) => Redactor.IsSecretName(name).ShouldBe(secret);

    [Fact]
    public void Variables_urls_and_arguments_are_masked()
    {
        Redactor.RedactVariable("DB_PASSWORD", "hunter2").ShouldBe("***");
        Redactor.RedactVariable("DATABASE_URL", "postgresql://me:hunter2@db:5432/x").ShouldBe("postgresql://me:***@db:5432/x");
        Redactor.RedactText("see https://u:p4ss@example.org/a and ftp://anon@h/").ShouldBe("see https://u:***@example.org/a and ftp://anon@h/");
        Redactor.RedactArguments(["run", "--token", "abc", "--api-key=xyz", "--password", "p", "--lr", "0.1", "postgres://a:b@h/d"])
            .ShouldBe(["run", "--token", "***", "--api-key=***", "--password", "***", "--lr", "0.1", "postgres://a:***@h/d"]);
        Redactor.RedactArguments(["worker", "--store", "Host=db;Username=me;Password=hunter2;Database=x", "--store", "host=db; PWD = s3;port=5"])
            .ShouldBe(["worker", "--store", "Host=db;Username=me;Password=***;Database=x", "--store", "host=db; PWD = ***;port=5"]);
    }

    [Theory]
    [InlineData("sh -c 'echo --api-key hunter2 Password=hunter2' postgresql://u:secret@host/db --password hunter2", "sh -c 'echo --api-key *** Password=***' postgresql://u:***@host/db --password ***")]
    [InlineData("train --token=abc123 --tokenizer bert --password-file /run/pw", "train --token=*** --tokenizer bert --password-file /run/pw")]
    [InlineData("+DB_PASSWORD=hunter2\n+export API_TOKEN='s3cr3t'\n+LOG_LEVEL=debug", "+DB_PASSWORD=***\n+export API_TOKEN='***'\n+LOG_LEVEL=debug")]
    [InlineData("password: hunter2\napi_key: \"abc\"\nname: x", "password: ***\napi_key: \"***\"\nname: x")]
    [InlineData("{\"token\": \"abc\", \"tokens\": 5, \"n\": 1}", "{\"token\": \"***\", \"tokens\": 5, \"n\": 1}")]
    [InlineData("Host=db;Username=me;Password=hunter2;Database=x", "Host=db;Username=me;Password=***;Database=x")]
    [InlineData("run --password {pw} --token $TOKEN --secret ${SECRET} PASSWORD=$DB_PASSWORD", "run --password {pw} --token $TOKEN --secret ${SECRET} PASSWORD=$DB_PASSWORD")]
    [InlineData("--lr 0.1 --keyboard us --secretary bob --token", "--lr 0.1 --keyboard us --secretary bob --token")]
    public void One_pass_masks_urls_connection_strings_secret_options_and_assignments(string text, string expected) =>
        Redactor.RedactText(text).ShouldBe(expected);

    // The examples of the second hardening round, each masked whole.
    [Theory]
    [InlineData("Host=db;Password='a;bcdefgh';Database=x", "Host=db;Password='***';Database=x")]
    [InlineData("Host=db;Password=\"q\"\"w;e\";Database=x", "Host=db;Password=\"***\";Database=x")]
    [InlineData("run --password -Xs3cret --lr 0.1", "run --password *** --lr 0.1")]
    [InlineData("postgresql://me:p@ss/w0rd@db.lab:5432/x", "postgresql://me:***@db.lab:5432/x")]
    [InlineData("{\"url\":\"postgresql://me:a/b@c@h/d\",\"n\":1}", "{\"url\":\"postgresql://me:***@h/d\",\"n\":1}")]
    [InlineData("curl -H 'Authorization: Bearer abc.def-123' https://api", "curl -H 'Authorization: Bearer ***' https://api")]
    [InlineData("curl -H \"Authorization: Basic dXNlcjpwYXNz\" x", "curl -H \"Authorization: Basic ***\" x")]
    [InlineData("gpg --passphrase hunter22 --pw abcdef --auth xyz123 --key k3y-value", "gpg --passphrase *** --pw *** --auth *** --key ***")]
    [InlineData("train --keyboard us --author me --pattern x --keep 3", "train --keyboard us --author me --pattern x --keep 3")]
    [InlineData("token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB in a log", "token *** in a log")]
    [InlineData("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "***")]
    [InlineData("aws AKIAIOSFODNN7EXAMPLE done", "aws *** done")]
    [InlineData("slack xoxb-123456789012-abcdefghijkl", "slack ***")]
    [InlineData("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", "jwt *** end")]
    [InlineData("openai sk-proj-abcdefghijklmnopqrstuvwxyz012345 hf hf_abcdefghijklmnopqrstuvwxyz0123456789", "openai *** hf ***")]
    [InlineData("gitlab glpat-abcdefghij0123456789", "gitlab ***")]
    [InlineData("task-abcdefghijklmnopqrstuvwxyz0123 desk-sk-x", "task-abcdefghijklmnopqrstuvwxyz0123 desk-sk-x")]
    public void The_second_round_of_secrets_is_masked(string text, string expected) => Redactor.RedactText(text).ShouldBe(expected);

    [Fact]
    public void Connection_strings_are_read_by_ado_nets_own_parser()
    {
        const string store = "Host=db;Username=me;Password='a;bcdefgh';Database=x";
        var parsed = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = store };
        Redactor.SecretsIn(store).ShouldContain((string)parsed["password"]);
        Redactor.SecretsIn(store).ShouldContain("a;bcdefgh");
        Redactor.RedactArguments(["expt", "ls", "--store", store]).ShouldBe(["expt", "ls", "--store", "Host=db;Username=me;Password='***';Database=x"]);
        Redactor.RedactArguments(["mysql", "--password", "-Xs3cret"]).ShouldBe(["mysql", "--password", "***"]);
        Redactor.SecretsInArguments(["mysql", "--password", "-Xs3cret", "--api-key=abcdefg"]).Distinct().ShouldBe(["-Xs3cret", "abcdefg"], ignoreOrder: true);
    }

    [Theory]
    [InlineData("api_key", true)]
    [InlineData("db_password", true)]
    [InlineData("hf_token", true)]
    [InlineData("openai.api_key", true)]
    [InlineData("secret", true)]
    [InlineData("gh_pat", true)]
    [InlineData("eos_token", false)]
    [InlineData("max_tokens", false)]
    [InlineData("tokenizer", false)]
    [InlineData("key", false)]
    [InlineData("sort_key", false)]
    [InlineData("secretary", false)]
    public void Secret_parameters_are_known_by_a_name_that_can_only_mean_one(string name, bool secret) => Redactor.IsSecretParameter(name).ShouldBe(secret);

    [Fact]
    public void Variables_not_named_as_secrets_still_give_up_the_secrets_they_hold()
    {
        var scrubber = SecretScrubber.FromEnvironment(new Dictionary<string, string>
        {
            ["GH_PAT"] = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
            ["MY_TOOL_CONFIG"] = "sk-abcdefghijklmnopqrstuvwxyz",
            ["DATABASE_URL"] = "postgresql://me:dbs3cret@h/x",
            ["HOME"] = "/home/someone",
        });
        scrubber.Scrub("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB sk-abcdefghijklmnopqrstuvwxyz dbs3cret /home/someone").ShouldBe("*** *** *** /home/someone");
    }

    [Fact]
    public void An_environment_value_holding_a_secret_option_is_masked()
    {
        Redactor.RedactVariable("ARGS", "--password hunter2 --lr 0.1").ShouldBe("--password *** --lr 0.1");
        Redactor.RedactVariable("DB_PASSWORD", "${DB_PASSWORD}").ShouldBe("${DB_PASSWORD}");
    }

    [Fact]
    public void Secrets_in_a_text_are_found_for_masking_elsewhere()
    {
        Redactor.SecretsIn("x --password hunter2 postgresql://u:s3cret-pw@h/d TOKEN=abcdef").ShouldBe(["s3cret-pw", "hunter2", "abcdef"], ignoreOrder: true);
        var scrubber = new SecretScrubber(["hunter2", "abc"]);
        scrubber.Scrub("the password is hunter2, not abc").ShouldBe("the password is ***, not abc");
        System.Text.Encoding.UTF8.GetString(scrubber.Scrub(System.Text.Encoding.UTF8.GetBytes("a hunter2 b hunter2"))).ShouldBe("a *** b ***");
        SecretScrubber.FromEnvironment(new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2", ["HOME"] = "/home/someone" }).Scrub("hunter2 /home/someone").ShouldBe("*** /home/someone");
    }

    [Fact]
    public void Study_provenance_records_git_and_never_a_secret()
    {
        var dir = Directory.CreateTempSubdirectory("expt-prov-").FullName;
        try
        {
            void Git(params string[] args)
            {
                var info = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in args)
                {
                    info.ArgumentList.Add(a);
                }
                using var p = System.Diagnostics.Process.Start(info)!;
                p.WaitForExit();
            }
            Git("init", "-q");
            Git("-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "init");
            File.WriteAllText(Path.Combine(dir, "train.py"), "print('changed')\n");
            Git("add", "train.py");
            File.WriteAllBytes(Path.Combine(dir, "blob.bin"), [0, 1, 2, 0, 255]);
            Git("add", "blob.bin");
            var json = ProvenanceCollector.ForStudy(SystemInfoLevel.Full, ["expt", "run", "--token", "s3cr3t"], dir, """{"name":"x"}""", DateTimeOffset.UnixEpoch);
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            var root = doc.RootElement;
            json.ShouldNotContain("s3cr3t");
            root.GetProperty("git").GetProperty("commit").GetString()!.Length.ShouldBe(40);
            root.GetProperty("git").GetProperty("dirty").GetBoolean().ShouldBeTrue();
            var patch = root.GetProperty("git").GetProperty("patch").GetString()!;
            patch.ShouldContain("+print('changed')");
            patch.ShouldContain("Binary files /dev/null and b/blob.bin differ");
            root.GetProperty("system").GetProperty("cores").GetInt32().ShouldBe(Environment.ProcessorCount);
            root.GetProperty("config").GetProperty("name").GetString().ShouldBe("x");
            ProvenanceCollector.ForStudy(SystemInfoLevel.None, ["expt"], dir, null, DateTimeOffset.UnixEpoch).ShouldNotContain("git");
            ProvenanceCollector.Git(Path.GetTempPath()).ShouldBeNull();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
