using System.Text.Encodings.Web;
using System.Text.Json;

namespace Expt.Cli.Output;

/// <summary>Writes indented JSON to the console's output.</summary>
internal static class JsonOutput
{
    public static void Write(CliEnvironment env, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            body(writer);
        }
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        env.Out.Profile.Out.Writer.Write(text + "\n");
        env.Out.Profile.Out.Writer.Flush();
    }
}
