using System.Globalization;
using System.Text.RegularExpressions;

namespace Expt.Spec;

/// <summary>Parses durations such as <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1h30m</c> or a bare number of seconds.</summary>
public static partial class DurationParser
{
    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Whole();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h|d)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    /// <summary>Parses a duration; false when the text is not one, or is longer than a TimeSpan can hold.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 100)
        {
            return false;
        }
        text = text.Trim();
        double seconds;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain))
        {
            seconds = plain;
        }
        else if (Whole().IsMatch(text))
        {
            seconds = 0;
            foreach (Match m in Part().Matches(text))
            {
                var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                seconds += value * m.Groups[2].Value switch
                {
                    "ms" => 0.001,
                    "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    _ => 86400,
                };
            }
        }
        else
        {
            return false;
        }
        // 99999999999h is a number, not a duration anything can wait for: refuse rather than overflow.
        if (!(seconds >= 0 && seconds < TimeSpan.MaxValue.TotalSeconds / 2))
        {
            return false;
        }
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Parses a duration or throws <see cref="FormatException"/> with a message naming the forms accepted.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"'{text}' is not a duration; expected e.g. 500ms, 30s, 10m, 2h or 1h30m");

    /// <summary>Formats a duration compactly: <c>1.25s</c>, <c>3m05s</c>, <c>2h10m</c>.</summary>
    public static string Format(TimeSpan d)
    {
        if (d < TimeSpan.FromSeconds(1))
        {
            return $"{d.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms";
        }
        if (d < TimeSpan.FromMinutes(1))
        {
            return $"{d.TotalSeconds.ToString("0.0#", CultureInfo.InvariantCulture)}s";
        }
        if (d < TimeSpan.FromHours(1))
        {
            return $"{(int)d.TotalMinutes}m{d.Seconds:00}s";
        }
        if (d >= TimeSpan.FromDays(2) && d.Ticks % TimeSpan.TicksPerDay == 0)
        {
            return $"{(int)d.TotalDays}d";
        }
        return $"{(int)d.TotalHours}h{d.Minutes:00}m";
    }
}
