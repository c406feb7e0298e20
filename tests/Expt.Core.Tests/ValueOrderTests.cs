using Expt.Analysis;

namespace Expt.Core.Tests;

public sealed class ValueOrderTests
{
    [Fact]
    public void Numbers_then_text_with_missing_and_non_finite_last_either_way_and_ties_stable()
    {
        object?[] keys = [3L, "b", null, 1.5, double.NaN, "a", 1.5m, double.PositiveInfinity, -2L];
        ValueOrder.Sort(keys, descending: false).ShouldBe([8, 3, 6, 0, 5, 1, 2, 4, 7]);
        ValueOrder.Sort(keys, descending: true).ShouldBe([1, 5, 0, 3, 6, 8, 2, 4, 7]);
    }

    [Fact]
    public void Every_shared_field_reads_a_trial()
    {
        var trial = new Expt.Storage.TrialRecord { Id = "3fa9c1d2", StudyId = "1", StudyName = "s", Key = "k", ParamsJson = "{}", Attempts = 2, Name = "lr0.1" };
        ValueOrder.Fields.ShouldAllBe(f => ValueOrder.Field(f) != null);
        ValueOrder.Field("attempts")!(trial).ShouldBe(2L);
        ValueOrder.Field("name")!(trial).ShouldBe("lr0.1");
        ValueOrder.Field("bogus").ShouldBeNull();
    }
}
