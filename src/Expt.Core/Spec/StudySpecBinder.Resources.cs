using Expt.Expressions;
using Expt.Resources;

namespace Expt.Spec;

// resources: (cpus, memory, gpus, memory_limit, when rules) and priority:.
public sealed partial class StudySpecBinder
{
    private static readonly IReadOnlyList<string> ResourceKeys = ["cpus", "memory", "gpus", "memory_limit", "when"];

    private static readonly IReadOnlyList<string> RuleKeys = ["where", "cpus", "memory", "gpus", "memory_limit", "priority"];

    /// <summary>The most cores, and whole GPUs, one trial may ask for.</summary>
    private const int MaxCpus = 4096, MaxGpus = 64;

    /// <summary>The priority range (higher runs first).</summary>
    private const int MaxPriority = 1_000_000;

    private ResourcePlan BindResources(ConfigMapping root, IReadOnlySet<string> declared)
    {
        var priority = Priority(root.Find("priority") is { } p ? p.Value : null, "priority") ?? 0;
        if (root.Find("resources") is not { } entry)
        {
            return priority == 0 ? ResourcePlan.None : new ResourcePlan { Priority = priority };
        }
        if (entry.Value is not ConfigMapping map)
        {
            Error(entry.Value.Location, "resources", "expected a mapping such as {cpus: 2, memory: 3G, gpus: 1}");
            return ResourcePlan.None;
        }
        foreach (var e in map.Entries.Where(e => !ResourceKeys.Contains(e.Key)))
        {
            var suggestion = Text.Suggestions.Closest(e.Key, ResourceKeys);
            Error(e.KeyLocation, "resources." + InputLimits.Quote(e.Key), $"unknown key{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; expected one of: {string.Join(", ", ResourceKeys)}");
        }
        var auto = map.Find("memory")?.Value is ConfigScalar { Text: "auto" };

        var needs = new TrialNeeds(
            Cpus(map.Find("cpus")?.Value, "resources.cpus") ?? 1,
            auto ? 0 : Memory(map.Find("memory")?.Value, "resources.memory") ?? 0,
            Gpus(map.Find("gpus")?.Value, "resources.gpus") ?? 0,
            Memory(map.Find("memory_limit")?.Value, "resources.memory_limit"));
        if (needs.MemoryLimitBytes is { } limit && limit < needs.MemoryBytes)
        {
            Error(map.Find("memory_limit")!.Value.Location, "resources.memory_limit", $"{Sizes.Format(limit)} is less than the expected memory ({Sizes.Format(needs.MemoryBytes)}); expected a limit at least as large");
        }
        return new ResourcePlan { Declared = true, Base = needs, Priority = priority, AutoMemory = auto, Rules = Rules(map.Find("when")?.Value, declared) };
    }

    private List<ResourceRule> Rules(ConfigNode? node, IReadOnlySet<string> declared)
    {
        const string Example = "e.g. when: [{where: 'model == \"large\"', gpus: 2, memory: 16G}]";
        var rules = new List<ResourceRule>();
        if (node is null)
        {
            return rules;
        }
        if (node is not ConfigSequence list)
        {
            Error(node.Location, "resources.when", $"expected a list of rules, {Example}");
            return rules;
        }
        for (var i = 0; i < list.Items.Count; i++)
        {
            var key = $"resources.when[{i}]";
            if (list.Items[i] is not ConfigMapping rule)
            {
                Error(list.Items[i].Location, key, $"expected a mapping with where: and what it needs, {Example}");
                continue;
            }
            foreach (var e in rule.Entries.Where(e => !RuleKeys.Contains(e.Key)))
            {
                var suggestion = Text.Suggestions.Closest(e.Key, RuleKeys);
                Error(e.KeyLocation, key + "." + InputLimits.Quote(e.Key), $"unknown key{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; expected one of: {string.Join(", ", RuleKeys)}");
            }
            if (rule.Find("where")?.Value is not ConfigScalar { Value: not null } whereText)
            {
                Error(rule.Location, key + ".where", "missing; expected an expression over the parameters, such as model == \"large\"");
                continue;
            }
            WhereExpression where;
            try
            {
                where = WhereExpression.Parse(whereText.Text);
            }
            catch (FormatException ex)
            {
                Error(whereText.Location, key + ".where", ex.Message);
                continue;
            }
            foreach (var unknown in where.Names.Where(n => !declared.Contains(n)))
            {
                var suggestion = Text.Suggestions.Closest(unknown, declared);
                Error(whereText.Location, key + ".where", $"'{unknown}' is not a parameter{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; expected one of: {string.Join(", ", declared)}");
            }
            var parsed = new ResourceRule(where)
            {
                Cpus = Cpus(rule.Find("cpus")?.Value, key + ".cpus"),
                MemoryBytes = Memory(rule.Find("memory")?.Value, key + ".memory"),
                GpuMilli = Gpus(rule.Find("gpus")?.Value, key + ".gpus"),
                MemoryLimitBytes = Memory(rule.Find("memory_limit")?.Value, key + ".memory_limit"),
                Priority = Priority(rule.Find("priority")?.Value, key + ".priority"),
            };
            if (parsed is { Cpus: null, MemoryBytes: null, GpuMilli: null, MemoryLimitBytes: null, Priority: null } && rule.Entries.Count == 1)
            {
                Error(rule.Location, key, "a rule with where: alone changes nothing; expected cpus, memory, gpus, memory_limit or priority beside it");
            }
            rules.Add(parsed);
        }
        return rules;
    }

    private int? Cpus(ConfigNode? node, string key)
    {
        if (node is null)
        {
            return null;
        }
        if (node is ConfigScalar { Value: long n } && n is >= 1 and <= MaxCpus)
        {
            return (int)n;
        }
        Error(node.Location, key, $"expected a whole number of cores from 1 to {MaxCpus}, got {Shown(node)}");
        return null;
    }

    private long? Memory(ConfigNode? node, string key)
    {
        if (node is null)
        {
            return null;
        }
        if (node is ConfigScalar s && ByteSizeParser.TryParse(s.Text, out var bytes) && bytes >= 1L << 20)
        {
            return bytes;
        }
        var auto = key == "resources.memory" ? ", or auto (learned from the first trials)" : string.Empty;
        Error(node.Location, key, $"expected a size from 1M to 1T such as 512M or 3G{auto}, got {Shown(node)}");
        return null;
    }

    private int? Gpus(ConfigNode? node, string key)
    {
        if (node is null)
        {
            return null;
        }
        if (node is ConfigScalar s && ParamValues.IsNumber(s.Value) && ParamValues.ToDouble(s.Value) is var d && d >= 0 && d <= MaxGpus)
        {
            var milli = (int)Math.Round(d * 1000);
            if (Math.Abs((milli / 1000.0) - d) < 1e-9 && (milli <= 1000 || milli % 1000 == 0))
            {
                return milli;
            }
        }
        Error(node.Location, key, $"expected whole GPUs (0 to {MaxGpus}) or a fraction of one such as 0.5 (two trials share a GPU), got {Shown(node)}");
        return null;
    }

    private int? Priority(ConfigNode? node, string key)
    {
        if (node is null)
        {
            return null;
        }
        if (node is ConfigScalar { Value: long n } && n is >= -MaxPriority and <= MaxPriority)
        {
            return (int)n;
        }
        Error(node.Location, key, $"expected a whole number from -{MaxPriority:N0} to {MaxPriority:N0} (higher runs first), got {Shown(node)}");
        return null;
    }

    private static string Shown(ConfigNode node) => node is ConfigScalar s
        ? $"'{InputLimits.Quote(s.Text)}'"
        : node is ConfigSequence ? "a list" : "a mapping";
}
