using Expt.Trials;
using static Expt.Core.Tests.StudyFiles;

namespace Expt.Core.Tests;

/// <summary>A trial is made in one place: planned, added by hand or added by an adaptive study, the same point gives the same trial.</summary>
public sealed class TrialFactoryTests
{
    [Fact]
    public void A_planned_trial_and_the_same_point_made_again_are_the_same_trial()
    {
        var spec = Parse("""
            name: f
            command: run {x}
            trial_name: "x{x}-r{replicate}-p{point}"
            params:
              x: [1, 2, 3]
              y: [a]
            resources:
              cpus: 1
              when:
                - {where: "x == 3", cpus: 2, priority: 5}
            replications: 2
            retries: 2
            """);
        var factory = TrialFactory.For(spec);
        foreach (var planned in TrialPlan.Create(spec))
        {
            var made = factory.Create(planned);
            var again = factory.Create(planned.Params, planned.Replicate, planned.Seq - planned.Replicate);
            again.ShouldBe(made);
            made.Key.ShouldBe(planned.Key);
            made.Seed.ShouldBe(planned.Seed);
            made.MaxAttempts.ShouldBe(3);
            made.Name.ShouldBe($"x{planned.Params["x"]}-r{planned.Replicate}-p{planned.PointIndex}");
            made.Needs.Cpus.ShouldBe(planned.Params.Get<int>("x") == 3 ? 2 : 1);
            made.Priority.ShouldBe(planned.Params.Get<int>("x") == 3 ? 5 : 0);
        }
    }
}
