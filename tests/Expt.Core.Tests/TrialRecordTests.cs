using Expt.Analysis;
using Expt.Storage;

namespace Expt.Core.Tests;

public sealed class TrialRecordTests
{
    private static TrialRecord Record(string results) => new()
    {
        Id = "3fa9c1d2",
        StudyId = "1",
        StudyName = "s",
        Key = "k",
        ParamsJson = "{}",
        ResultsJson = results,
    };

    [Fact]
    public void Reading_results_does_not_change_equality_and_a_copy_with_new_results_reads_the_new_ones()
    {
        var a = Record("""{"loss":1}""");
        var b = Record("""{"loss":1}""");
        ResultValues.Number(a, "loss").ShouldBe(1);
        a.ShouldBe(b);
        a.GetHashCode().ShouldBe(b.GetHashCode());
        var changed = a with { ResultsJson = """{"loss":2}""" };
        ResultValues.Number(changed, "loss").ShouldBe(2);
        ResultValues.Number(a, "loss").ShouldBe(1);
    }
}
