using Expt.Analysis;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Core.Tests;

/// <summary>The one engine of <c>expt ls</c> and the dashboard's table: filters, search, sort keys, errors, paging.</summary>
public sealed class TrialQueryTests
{
    private static TrialResult Row(int seq, TrialStatus status, double lr, string results, string? error = null) => new(new TrialRecord
    {
        Id = $"{seq:x2}a9c1d2",
        StudyId = "1",
        StudyName = "s",
        Key = $"k{seq}",
        Seq = seq,
        Status = status,
        ParamsJson = $$"""{"lr":{{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"opt":"{{(seq % 2 == 0 ? "adam" : "sgd")}}"}""",
        ResultsJson = results,
        Error = error,
    });

    private static readonly TrialResult[] Rows =
    [
        Row(0, TrialStatus.Completed, 0.1, """{"loss":0.5,"acc":0.8}"""),
        Row(1, TrialStatus.Completed, 0.01, """{"loss":0.2,"acc":0.9}"""),
        Row(2, TrialStatus.Failed, 0.001, "{}", "CUDA out of memory"),
        Row(3, TrialStatus.Completed, 0.3, """{"loss":"NaN","acc":0.1}"""),
        Row(4, TrialStatus.Pending, 0.05, "{}"),
    ];

    private static int[] Select(string? status = null, string? where = null, string? q = null, string? sort = null, bool desc = false, Objective? primary = null) =>
        TrialQuery.Parse(status, where, q, sort, desc).Select(Rows, primary);

    [Fact]
    public void Filters_by_status_where_and_search_together()
    {
        Select().ShouldBe([0, 1, 2, 3, 4]);
        Select(status: "completed,failed").ShouldBe([0, 1, 2, 3]);
        Select(where: "lr < 0.1 and opt == \"sgd\"").ShouldBe([1]);
        Select(q: "cuda").ShouldBe([2]); // in the error, any case
        Select(q: "03A9").ShouldBe([3]); // an id prefix
        Select(q: "adam").ShouldBe([0, 2, 4]); // in the params
        Select(status: "completed", where: "acc >= 0.8", q: "sgd").ShouldBe([1]);
    }

    [Fact]
    public void Sorts_by_a_result_a_param_a_field_or_the_objective_with_missing_and_non_finite_last_either_way()
    {
        Select(sort: "loss").ShouldBe([1, 0, 2, 3, 4]);
        Select(sort: "-loss").ShouldBe([0, 1, 2, 3, 4]);
        Select(sort: "r.loss", desc: true).ShouldBe([0, 1, 2, 3, 4]); // the dashboard's spelling and direction
        Select(sort: "p.lr").ShouldBe([2, 1, 4, 0, 3]);
        Select(sort: "-p.lr", desc: true).ShouldBe([2, 1, 4, 0, 3]); // two reversals cancel
        Select(sort: "status").ShouldBe([0, 1, 3, 2, 4]);
        Select(sort: "seq", desc: true).ShouldBe([4, 3, 2, 1, 0]);
        Select(desc: true).ShouldBe([4, 3, 2, 1, 0]);
        Select(status: "completed", sort: "best", primary: new Objective("acc", Goal.Maximize)).ShouldBe([1, 0, 3]);
        Select(status: "completed", sort: "-best", primary: new Objective("acc", Goal.Maximize)).ShouldBe([3, 0, 1]);
        Select(status: "completed", sort: "objective", primary: new Objective("acc", Goal.Maximize)).ShouldBe([3, 0, 1]);
    }

    [Theory]
    [InlineData("bogus", null, null, "status: unknown status 'bogus'; expected pending, running, completed, failed, timeout or cancelled")]
    [InlineData(null, "lr >", null, "where: ")]
    [InlineData(null, null, "-", "sort: expected a result name")]
    [InlineData(null, null, "los", "sort: no listed trial has a result 'los' (did you mean 'loss'?)")]
    [InlineData(null, null, "best", "sort: best: the study declares no objective")]
    public void A_bad_part_is_one_message_naming_it(string? status, string? where, string? sort, string message)
    {
        var ex = Should.Throw<FormatException>(() => Select(status: status, where: where, sort: sort));
        ex.Message.ShouldStartWith(message);
    }

    [Fact]
    public void Equal_queries_are_equal_so_they_share_a_cached_order()
    {
        var a = TrialQuery.Parse("failed, completed", "lr > 0.01", " x ", "-loss");
        var b = TrialQuery.Parse("failed,completed", "lr > 0.01", "x", "loss", descending: true);
        a.ShouldBe(b);
        a.GetHashCode().ShouldBe(b.GetHashCode());
        a.ShouldNotBe(TrialQuery.Parse("completed,failed", "lr > 0.01", "x", "-loss"));
    }

    [Theory]
    [InlineData(0, null, null, 1, 1, 50)]
    [InlineData(120, 3, 50, 3, 3, 50)]
    [InlineData(120, 9, 50, 3, 3, 50)]
    [InlineData(120, -1, 0, 1, 120, 1)]
    [InlineData(120, 1, 100000, 1, 1, 500)]
    public void Pages_are_clamped_to_what_exists(int count, int? page, int? size, int expectedPage, int expectedPages, int expectedSize) =>
        TrialPage.Of(count, page, size, maxSize: 500).ShouldBe(new TrialPage(expectedPage, expectedPages, expectedSize));
}
