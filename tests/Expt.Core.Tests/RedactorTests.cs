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
