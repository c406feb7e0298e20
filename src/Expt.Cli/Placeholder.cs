namespace Expt.Cli; internal static class Placeholder { }
