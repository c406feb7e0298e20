using System.Diagnostics;
using Npgsql;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Studies as job arrays on a real single-node Slurm cluster (started by ./test.sh), with a real PostgreSQL store:
/// a full run, cancellation (workers give their trials back), and a requeued array task.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SlurmTests : IDisposable
{
    private readonly ExptCli _cli = new();
    private readonly List<string> _jobs = [];

    public void Dispose()
    {
        if (_jobs.Count > 0)
        {
            using var cancel = Process.Start("scancel", _jobs);
            cancel.WaitForExit();
        }
        _cli.Dispose();
    }

    private async Task<(string Store, string Credentials)> StoreAsync()
    {
        var store = new NpgsqlConnectionStringBuilder(await Postgres.Shared.NewStoreAsync());
        var credentials = _cli.Write("pgpass", store.Password + "\n");
        store.Password = null; // workers get it from the credentials file, as on a real cluster
        return (store.ConnectionString, credentials);
    }

    private async Task<string> SubmitAsync(string store, string credentials, params string[] args)
    {
        var submit = await _cli.RunAsync(ExptCli.ExptDll, ["slurm", "submit", "study.yaml", "--store", store, "--credentials", credentials, .. args]);
        submit.ExitCode.ShouldBe(0, submit.ToString());
        var job = submit.Stdout.Trim();
        _jobs.Add(job);
        return job;
    }

    private static async Task<long> CountAsync(string store, string credentials, string where)
    {
        var b = new NpgsqlConnectionStringBuilder(store) { Password = (await File.ReadAllTextAsync(credentials)).Trim() };
        return await Postgres.ScalarAsync(b.ConnectionString, "SELECT COUNT(*) FROM trials WHERE " + where);
    }

    [Fact]
    public async Task A_race_run_by_a_job_array_decides_as_a_local_run()
    {
        var (store, credentials) = await StoreAsync();
        _cli.Write("noisy.py", AdaptiveEndToEndTests.Noisy);
        _cli.Write("study.yaml", AdaptiveEndToEndTests.Race);
        var local = await _cli.RunAsync("run", "study.yaml", "-j", "1", "--store", "local.db", "-q");
        local.ExitCode.ShouldBe(0, local.ToString());
        await SubmitAsync(store, credentials, "--workers", "3");
        var full = new NpgsqlConnectionStringBuilder(store) { Password = (await File.ReadAllTextAsync(credentials)).Trim() }.ConnectionString;
        await Postgres.WaitUntilAsync(async () => await Postgres.ScalarAsync(full, "SELECT COUNT(*) FROM point_decisions") == 5, TimeSpan.FromMinutes(3), "the race to end");
        (await AdaptiveEndToEndTests.OutcomeAsync(_cli, full)).ShouldBe(await AdaptiveEndToEndTests.OutcomeAsync(_cli, "local.db"));
    }

    [Fact]
    public async Task A_job_array_of_workers_completes_a_study_and_status_joins_slurm_and_the_store()
    {
        var (store, credentials) = await StoreAsync();
        _cli.Write("study.yaml", "name: array\ncommand: sleep 0.1\nparams:\n  x: range(30)\n");
        var dry = await _cli.RunAsync("slurm", "submit", "study.yaml", "--workers", "2", "--store", store, "--credentials", credentials, "--time", "00:10:00", "--dry-run");
        dry.Stdout.ShouldContain("#SBATCH --array=0-1");
        dry.Stdout.ShouldContain("#SBATCH --signal=B:USR2@90");
        dry.Stdout.ShouldContain("#SBATCH --time=00:10:00");
        dry.Stdout.ShouldNotContain(File.ReadAllText(credentials).Trim());
        var job = await SubmitAsync(store, credentials, "--workers", "2");
        await Postgres.WaitUntilAsync(async () => await CountAsync(store, credentials, "status = 'completed'") == 30, TimeSpan.FromMinutes(2), "the array to complete the study");
        (await CountAsync(store, credentials, "attempts <> 1")).ShouldBe(0);
        File.Exists(Path.Combine(_cli.Directory, ".expt", "runs", "array", "slurm", "job-1.sbatch")).ShouldBeTrue();
        // From another directory (another machine): the job is recorded with the study in the store.
        using var elsewhere = new ExptCli();
        var status = await elsewhere.RunAsync(ExptCli.ExptDll, ["slurm", "status", "array", "--store", store, "--credentials", credentials]);
        status.ExitCode.ShouldBe(0, status.ToString());
        status.Stdout.ShouldContain("30 completed");
        status.Stdout.ShouldContain($"{job}_0");
        status.Stdout.ShouldContain($"{job}_1");
    }

    [Fact]
    public async Task Cancelling_the_jobs_gives_the_running_trials_back_to_the_queue()
    {
        var (store, credentials) = await StoreAsync();
        _cli.Write("study.yaml", "name: cancelled\ncommand: sleep 120\nparams:\n  x: range(4)\n");
        await SubmitAsync(store, credentials, "--workers", "2");
        await Postgres.WaitUntilAsync(async () => await CountAsync(store, credentials, "status = 'running'") == 2, TimeSpan.FromMinutes(1), "two workers to run trials");
        var cancel = await _cli.RunAsync(ExptCli.ExptDll, ["slurm", "cancel", "cancelled", "--store", store, "--credentials", credentials]);
        cancel.ExitCode.ShouldBe(0, cancel.ToString());
        cancel.Stderr.ShouldContain("4 pending, 0 running");
        (await CountAsync(store, credentials, "attempts <> 0")).ShouldBe(0);
    }

    [Fact]
    public async Task A_requeued_array_task_gives_its_trial_back_and_the_study_completes_once()
    {
        var (store, credentials) = await StoreAsync();
        _cli.Write("study.yaml", "name: requeued\ncommand: sleep 1\nparams:\n  x: range(12)\n");
        var job = await SubmitAsync(store, credentials, "--workers", "2", "--requeue");
        await Postgres.WaitUntilAsync(async () => await CountAsync(store, credentials, "status = 'completed'") >= 2, TimeSpan.FromMinutes(1), "trials to complete");
        using (var requeue = Process.Start("scontrol", ["requeue", $"{job}_0"]))
        {
            await requeue.WaitForExitAsync();
            requeue.ExitCode.ShouldBe(0);
        }
        await Postgres.WaitUntilAsync(async () => await CountAsync(store, credentials, "status = 'completed'") == 12, TimeSpan.FromMinutes(3), "the study to complete");
        (await CountAsync(store, credentials, "attempts <> 1")).ShouldBe(0); // the interrupted trial was given back, not counted
    }

    [Fact]
    public async Task Without_a_database_one_mpi_job_runs_the_study_with_rank_zero_as_the_only_writer()
    {
        _cli.Write("study.yaml", "name: sqlite-mpi\ncommand: echo {x}\nparams:\n  x: range(10)\n");
        // sbatch passes the environment on; the tests run as root, which mpiexec refuses unless told.
        var submit = await _cli.RunAsync(ExptCli.ExptDll, ["slurm", "submit", "study.yaml", "--workers", "2", "--store", "shared.db", "--extra-sbatch", "--overcommit"],
            new Dictionary<string, string> { ["OMPI_ALLOW_RUN_AS_ROOT"] = "1", ["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1" });
        submit.ExitCode.ShouldBe(0, submit.ToString());
        submit.Stderr.ShouldContain("submitted MPI job");
        _jobs.Add(submit.Stdout.Trim());
        var script = File.ReadAllText(Path.Combine(_cli.Directory, "runs", "sqlite-mpi", "slurm", "job-1.sbatch"));
        script.ShouldContain("#SBATCH --ntasks=3");
        script.ShouldContain("'mpiexec'");
        await ExptCli.WaitUntilAsync(() =>
        {
            var ls = _cli.RunAsync("ls", "--store", "shared.db", "--status", "completed", "--format", "csv").GetAwaiter().GetResult();
            return ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 11;
        }, TimeSpan.FromMinutes(2), "the MPI job to complete the study");
        var status = await _cli.RunAsync("slurm", "status", "sqlite-mpi", "--store", "shared.db");
        status.Stdout.ShouldContain("10 completed");
    }

    [Fact]
    public async Task The_studys_resources_become_the_tasks_request_and_the_worker_takes_its_capacity_from_the_allocation()
    {
        var (store, credentials) = await StoreAsync();
        _cli.Write("study.yaml", """
            name: sized
            shell: true
            command: echo "$EXPT_CPUS $SLURM_MEM_PER_NODE" > "$EXPT_TRIAL_DIR/seen"
            params:
              x: range(6)
            resources:
              cpus: 1
              memory: 100M
              when:
                - where: x == 5
                  memory: 150M
            """);
        var dry = await _cli.RunAsync("slurm", "submit", "study.yaml", "--workers", "1", "--trials-per-worker", "2", "--store", store, "--credentials", credentials, "--dry-run");
        dry.ExitCode.ShouldBe(0, dry.ToString());
        dry.Stdout.ShouldContain("#SBATCH --cpus-per-task=2");
        dry.Stdout.ShouldContain("#SBATCH --mem=300M"); // two of the largest trial
        dry.Stdout.ShouldNotContain("--gres");
        var job = await SubmitAsync(store, credentials, "--workers", "1", "--trials-per-worker", "2");
        await Postgres.WaitUntilAsync(async () => await CountAsync(store, credentials, "status = 'completed'") == 6, TimeSpan.FromMinutes(2), "the array to complete the study");
        var output = File.ReadAllText(Directory.GetFiles(Path.Combine(_cli.Directory, ".expt", "runs", "sized", "slurm"), $"slurm-{job}_0.out").Single());
        output.ShouldContain("resources: 2 cpus, 300 MiB, no gpus");
        (await CountAsync(store, credentials, "cpus = 1 AND memory = 104857600")).ShouldBe(5);
    }
}
